// The keys every process shares, declared once: [server] (paths, logging,
// port mapping) and [process.NAME] (how parleyd starts each process; the
// skeleton reads its seccomp mode and log level). Every program's schema
// holds both sections.
#pragma once

#include "config/config.h"

namespace parley::config {

// [server]
extern const String kHostname;
extern const String kDataDir;
extern const String kRuntimeDir;
extern const String kLogDir;
extern const String kLogTarget;
extern const String kLogFormat;
extern const String kLogLevel;
extern const String kMapLowPorts;
extern const Integer kLowPortOffset;

// [process.NAME]: read with the instance, get(kProcessUser, "smtpd").
extern const String kProcessBinary;
extern const List kProcessArgs;
extern const Boolean kProcessEnabled;
extern const List kProcessListen;
extern const String kProcessUser;
extern const String kProcessSeccomp;
extern const String kProcessLogLevel;
extern const Integer kProcessRlimitNofile;
extern const Integer kProcessRlimitCoreBytes;

SectionDecl server_section();
SectionDecl process_section();

}  // namespace parley::config
