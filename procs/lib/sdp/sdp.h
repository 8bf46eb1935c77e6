// SDP, the Session Description Protocol (RFC 8866): parse, serialize and
// the edits a media relay makes. Pure: no I/O, no sockets; the input is an
// untrusted SIP message body.
//
// parse() takes one whole description (a SIP body, its length already known
// from Content-Length) and returns a Session, or Errc::syntax / Errc::limit
// with "line N: why" in the detail. What it accepts:
//   - lines "<letter>=<value>", ended by CRLF or a bare LF (the last one may
//     be unended; empty lines only at the very end); no NUL, no lone CR;
//   - the line types of RFC 8866 5 in its order: v o s i* u* e* p* c* b*
//     (t r* z*)+ k* a* and then media sections m i* c* b* k* a*. z= is
//     taken after any t= or r= (RFC 8866 keeps it in each time description,
//     RFC 4566 put it after the last one: both read). A letter out of order,
//     a duplicate of a single line, or an unknown letter is Errc::syntax
//     (RFC 8866 5 lets a parser reject a description with a letter it does
//     not understand; accepting and dropping lines would hide a peer's bug);
//   - v=0 only; o= with six fields, numeric session id and version; s= with
//     any value (RFC 8866 wants it non-empty; phones send "s=" and "s=-");
//     at least one t= with two numbers; c= with three fields; b= as
//     "type:number"; m= as "media port[/count] proto fmt..." with at least
//     one format; a= as "name" or "name:value", name a token;
//   - every media section has a connection, its own or the session's
//     (RFC 8866 5.7).
// Fields are separated by exactly one space, as the grammar writes them.
// Values of i, u, e, p, k, r, z and attribute values are kept as bytes.
//
// serialize() writes the Session back with CRLF line endings, every line
// in RFC 8866 order, attributes in their order. For an input that was
// canonical (CRLF, no leading zeros in numbers, no trailing empty lines)
// serialize(parse(x)) == x. serialize() does not validate: a Session built
// or edited by hand must hold what parse() would accept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::sdp {

// No RFC sets these. A SIP body over UDP stays under the path MTU; a WebRTC
// offer with many transceivers and candidates is some 10 to 30 KiB.
constexpr std::size_t kMaxSize = 64 * 1024;  // bytes of the whole description
constexpr std::size_t kMaxLine = 8 * 1024;   // bytes of one line, ending excluded
constexpr std::size_t kMaxLines = 4096;      // lines of one description
constexpr std::size_t kMaxMedia = 128;       // m= sections (unified-plan conferences)

struct Origin {  // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
  std::string username;
  std::string session_id;       // digits, as written (may exceed 64 bits)
  std::string session_version;  // digits, as written
  std::string net_type;         // "IN"
  std::string addr_type;        // "IP4", "IP6"
  std::string address;
  bool operator==(const Origin&) const = default;
};

struct Connection {  // c=<nettype> <addrtype> <connection-address>
  std::string net_type;
  std::string addr_type;
  std::string address;  // as written: a multicast "/ttl/count" suffix stays here
  bool operator==(const Connection&) const = default;
};

struct Bandwidth {  // b=<bwtype>:<bandwidth>
  std::string type;  // "AS", "CT", "TIAS", ...
  std::uint64_t value = 0;
  bool operator==(const Bandwidth&) const = default;
};

struct Timing {  // t=<start> <stop>, its r= lines and the z= line after them
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  std::vector<std::string> repeats;  // r= values
  std::optional<std::string> zones;  // z= value
  bool operator==(const Timing&) const = default;
};

struct Attribute {  // a=<name> or a=<name>:<value>
  std::string name;
  std::optional<std::string> value;  // "a=x:" has the value "", "a=x" none
  bool operator==(const Attribute&) const = default;
};

struct Media {  // m=<media> <port>[/<count>] <proto> <fmt> ...
  std::string type;  // "audio", "video", "application", ...
  std::uint16_t port = 0;
  std::optional<std::uint32_t> port_count;  // m=video 49170/2 ...
  std::string proto;                        // "RTP/AVP", "UDP/TLS/RTP/SAVPF", ...
  std::vector<std::string> formats;         // payload types for RTP, as written
  std::optional<std::string> title;         // i=
  std::vector<Connection> connections;      // c= (several only for multicast)
  std::vector<Bandwidth> bandwidths;
  std::optional<std::string> key;  // k= (obsolete)
  std::vector<Attribute> attributes;
  bool operator==(const Media&) const = default;
};

struct Session {
  Origin origin;
  std::string name;  // s=
  std::optional<std::string> info;  // i=
  std::optional<std::string> uri;   // u=
  std::vector<std::string> emails;  // e=
  std::vector<std::string> phones;  // p=
  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;
  std::vector<Timing> timings;  // at least one
  std::optional<std::string> key;  // k= (obsolete)
  std::vector<Attribute> attributes;
  std::vector<Media> media;
  bool operator==(const Session&) const = default;
};

[[nodiscard]] Result<Session> parse(std::string_view text);
std::string serialize(const Session& session);

// Where a media section's packets go: its first c=, else the session's
// (RFC 8866 5.7); nullptr for neither (parse() refuses that, an edit may not).
const Connection* connection_for(const Session& session, const Media& media);

// ---- Attributes -------------------------------------------------------

// The first attribute called `name` (names compared byte for byte, as
// every peer writes them in lowercase), or nullptr.
const Attribute* find_attribute(std::span<const Attribute> attrs, std::string_view name);
bool has_attribute(std::span<const Attribute> attrs, std::string_view name);
// Values of every attribute called `name`, in order ("" for one without).
std::vector<std::string_view> attribute_values(std::span<const Attribute> attrs, std::string_view name);

// The helpers below read one attribute value (what follows "name:") and
// give Errc::syntax when it does not match its grammar.

struct RtpMap {  // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
  unsigned payload_type = 0;  // 0..127
  std::string encoding;       // "PCMU", "opus", "telephone-event", as written
  std::uint32_t clock_rate = 0;
  std::optional<std::string> parameters;  // channels for audio: "2"
  bool operator==(const RtpMap&) const = default;
};
[[nodiscard]] Result<RtpMap> parse_rtpmap(std::string_view value);

struct Fmtp {  // a=fmtp:<format> <format specific parameters>
  std::string format;
  std::string parameters;  // as written: "0-16", "minptime=10;useinbandfec=1"
  bool operator==(const Fmtp&) const = default;
};
[[nodiscard]] Result<Fmtp> parse_fmtp(std::string_view value);

// The rtpmap / fmtp for one format of a media section; nullopt when there is
// none or it does not parse.
std::optional<RtpMap> rtpmap(const Media& media, std::string_view format);
std::optional<Fmtp> fmtp(const Media& media, std::string_view format);
// a=ptime in milliseconds (a whole number; "20" not "20.0"), nullopt if none.
std::optional<std::uint32_t> ptime(const Media& media);

enum class Direction { sendrecv, sendonly, recvonly, inactive };  // RFC 8866 6.7, RFC 3264 for hold
std::string_view direction_name(Direction d);
// The direction attribute of the media section, else the session's, else
// sendrecv (RFC 8866 6.7). With several, the last one counts.
Direction direction(const Session& session, const Media& media);

struct Rtcp {  // a=rtcp:<port> [<nettype> <addrtype> <connection-address>]  (RFC 3605)
  std::uint16_t port = 0;
  std::optional<Connection> connection;
  bool operator==(const Rtcp&) const = default;
};
[[nodiscard]] Result<Rtcp> parse_rtcp(std::string_view value);
std::optional<Rtcp> rtcp(const Media& media);
bool rtcp_mux(const Media& media);                      // a=rtcp-mux (RFC 5761)
std::optional<std::string_view> mid(const Media& media);  // a=mid (RFC 5888)

struct Candidate {  // a=candidate (RFC 8839 5.1)
  std::string foundation;
  std::uint32_t component = 0;  // 1 RTP, 2 RTCP
  std::string transport;        // "UDP", "TCP", as written
  std::uint32_t priority = 0;
  std::string address;  // IP address or FQDN (".local" mDNS names)
  std::uint16_t port = 0;
  std::string type;  // "host", "srflx", "prflx", "relay"
  std::optional<std::string> related_address;  // raddr
  std::optional<std::uint16_t> related_port;   // rport
  std::vector<std::pair<std::string, std::string>> extensions;  // "generation 0", "tcptype active"
  bool operator==(const Candidate&) const = default;
};
[[nodiscard]] Result<Candidate> parse_candidate(std::string_view value);
std::vector<Candidate> candidates(const Media& media);  // those that parse

struct Crypto {  // a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]  (RFC 4568 9.1)
  std::uint32_t tag = 0;
  std::string suite;                        // "AES_CM_128_HMAC_SHA1_80"
  std::vector<std::string> key_params;      // "inline:<key||salt>[|lifetime][|MKI:len]", split at ';'
  std::vector<std::string> session_params;  // "UNENCRYPTED_SRTCP", "KDR=1", ...
  bool operator==(const Crypto&) const = default;
};
// Key material is a secret: never log a Crypto or an a=crypto value.
[[nodiscard]] Result<Crypto> parse_crypto(std::string_view value);
std::vector<Crypto> cryptos(const Media& media);  // those that parse

struct Fingerprint {  // a=fingerprint:<hash-func> <fingerprint>  (RFC 8122 5)
  std::string hash;   // "sha-256", lowercased
  std::string value;  // "AB:CD:...", as written
  bool operator==(const Fingerprint&) const = default;
};
[[nodiscard]] Result<Fingerprint> parse_fingerprint(std::string_view value);
// The media section's fingerprints, else the session's (RFC 8122 5).
std::vector<Fingerprint> fingerprints(const Session& session, const Media& media);

enum class Setup { active, passive, actpass, holdconn };  // a=setup (RFC 4145 4)
std::optional<Setup> setup(const Session& session, const Media& media);

// ---- Edits a media relay makes ------------------------------------------

// The address media should be sent to: the session's c= becomes
// "IN <addr_type> <address>" (added if absent) and every media section's
// c= lines are replaced by that one line (a section without c= keeps none;
// the session's applies). Multicast suffixes are dropped.
void set_connection_address(Session& session, std::string_view addr_type, std::string_view address);
// One media section's c=: its c= lines become this one.
void set_connection(Media& media, Connection connection);
// The media port; the port count is kept.
void set_port(Media& media, std::uint16_t port);
// Replaces every direction attribute of the section with one (at the place
// of the first, else appended).
void set_direction(Media& media, Direction direction);
// Removes every attribute called `name`; returns how many.
std::size_t remove_attributes(std::vector<Attribute>& attrs, std::string_view name);
// The first attribute called `name` gets `value`, later ones are removed;
// appended if there is none.
void replace_attribute(std::vector<Attribute>& attrs, std::string_view name, std::optional<std::string> value);
// o= session version + 1 (decimal, as long as it needs): each new offer or
// answer in a dialog must raise it (RFC 3264 8).
void bump_version(Origin& origin);

}  // namespace parley::sdp
