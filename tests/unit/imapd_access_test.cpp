// imapd's replies on mailbox names and rights (store/access.h behind
// them): other users' and public mailboxes, ACL grants, malformed names,
// as a logged-in demo@example.test sees them, with and without
// imapd.public_admins. Each command's exact reply is pinned.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "procs/imapd/imap_session.h"
#include "procs/imapd/server.h"
#include "store/store.h"
#include "tests/support/session_rig.h"

namespace parley {
namespace {

using testkit::Dialog;

constexpr std::string_view kBob = "bob@example.test";

// An imapd server over a store holding demo's and bob's mailboxes, bob's
// ACLs for demo, and public mailboxes; `admin`: demo is a public admin.
class AccessRig {
 public:
  explicit AccessRig(bool admin) {
    testkit::quiet_logs("imapd");
    std::string extra = "max_errors = 1000\n";
    if (admin) extra += "public_admins = [\"demo@example.test\"]\n";
    ctx_ = std::make_unique<testkit::RigContext>(io, "imapd", testkit::rig_config(dir_.path(), extra), dir_.path());
    backends_ = std::make_unique<testkit::FakeBackends>(io, *ctx_);
    const std::vector<std::string> listeners = {"imap", "imaps", "pop3", "pop3s"};
    auto settings = imapd::load_settings(ctx_->config(), listeners);
    if (!settings) std::abort();
    std::filesystem::create_directories(dir_.path() + "/store/index");
    store::Options options;
    options.durable = false;
    options.map_size = std::size_t{1} << 28;
    options.clock = [] { return std::int64_t{1796637600000}; };
    auto st = store::Store::open(dir_.path() + "/store/index", options);
    if (!st) std::abort();
    seed(st.value());
    server_ = std::make_unique<imapd::Server>(*ctx_, std::move(settings.value()), std::move(st.value()), listeners);
  }
  imapd::Server& server() { return *server_; }

  asio::io_context io;

 private:
  static void must(bool ok) {
    if (!ok) std::abort();
  }
  static void seed(store::Store& st) {
    const std::string demo(testkit::kUser), bob(kBob);
    must(st.ensure_account(demo).ok());
    must(st.ensure_account(bob).ok());
    for (const char* name : {"Work", "Work/a"}) must(st.create_mailbox(demo, name).ok());
    for (const char* name : {"Lists", "Lists/dev", "Secret", "Drop", "Admin", "Kids", "Del", "Ronly", "Deny"}) {
      must(st.create_mailbox(bob, name).ok());
    }
    for (const char* name : {"News", "Staff", "Open"}) must(st.create_mailbox(store::kPublicAccount, name).ok());
    const struct {
      std::string_view owner, mailbox, identifier, rights;
    } acl[] = {
        {kBob, "INBOX", testkit::kUser, "lr"},
        {kBob, "Lists", "anyone", "l"},
        {kBob, "Lists/dev", "authenticated", "lrswi"},
        {kBob, "Lists/dev", "-demo@example.test", "w"},
        {kBob, "Drop", testkit::kUser, "i"},
        {kBob, "Admin", testkit::kUser, "lra"},
        {kBob, "Kids", testkit::kUser, "lk"},
        {kBob, "Del", testkit::kUser, "lx"},
        {kBob, "Ronly", testkit::kUser, "r"},
        {kBob, "Deny", "anyone", "lr"},
        {kBob, "Deny", "-demo@example.test", "l"},
        {store::kPublicAccount, "News", "anyone", "lr"},
        {store::kPublicAccount, "Open", "authenticated", "lrik"},
    };
    for (const auto& e : acl) must(st.set_acl(e.owner, e.mailbox, e.identifier, e.rights).ok());
    for (std::string_view owner : {std::string_view(demo), kBob, store::kPublicAccount}) {
      store::NewMessage m;
      m.account = std::string(owner);
      m.mailbox = owner == store::kPublicAccount ? "News" : "INBOX";
      m.body = "Subject: hello\r\n\r\nHi.\r\n";
      must(st.append(m).ok());
    }
  }

  testkit::TempDir dir_{"parley-imapd-access"};
  std::unique_ptr<testkit::RigContext> ctx_;
  std::unique_ptr<testkit::FakeBackends> backends_;
  std::unique_ptr<imapd::Server> server_;
};

// Names every command below is tried with.
const std::vector<std::string> kNames = {
    "INBOX", "inbox", "Work", "Nope", "\"~demo@example.test/INBOX\"", "\"~DEMO@Example.test/inbox\"",
    "\"~demo@example.test/Work\"", "\"~bob@example.test/INBOX\"", "\"~bob@example.test/inbox\"",
    "\"~Bob@Example.Test/INBOX\"", "\"~bob@example.test/Lists\"", "\"~bob@example.test/Lists/dev\"",
    "\"~bob@example.test/Secret\"", "\"~bob@example.test/Nope\"", "\"~bob@example.test/Drop\"",
    "\"~bob@example.test/Admin\"", "\"~bob@example.test/Ronly\"", "\"~bob@example.test/Deny\"", "\"#public/News\"",
    "\"#public/Staff\"", "\"#public/Open\"", "\"#public/Nope\"", "\"#public/INBOX\"", "\"#public\"", "\"#public/\"",
    "\"~\"", "\"~/x\"", "\"~bob@example.test\"", "\"~bob@example.test/\"", "\"~bob@example.test//x\"", "\"a//b\"",
    "\"/a\"", "\"~#team/x\"", "\"~anyone/INBOX\"", "\"~nobody@example.test/INBOX\"", "\"Wo*\"",
};

std::vector<std::string> script() {
  std::vector<std::string> s = {
      "NAMESPACE",
      "LIST \"\" \"*\"",
      "LIST \"\" \"~*\"",
      "LIST \"\" \"#public/*\"",
      "LIST \"\" \"%\"",
      "LIST \"~bob@example.test/\" \"%\"",
      "LSUB \"\" \"*\"",
      "LIST (SUBSCRIBED) \"\" \"*\" RETURN (CHILDREN)",
      "LIST \"\" \"*\" RETURN (STATUS (MESSAGES UIDNEXT))",
  };
  for (const auto& n : kNames) {
    s.push_back("STATUS " + n + " (MESSAGES UIDNEXT)");
    s.push_back("EXAMINE " + n);
    s.push_back("UNSELECT");
    s.push_back("MYRIGHTS " + n);
    s.push_back("GETACL " + n);
    s.push_back("LISTRIGHTS " + n + " bob@example.test");
    s.push_back("LISTRIGHTS " + n + " carol@example.test");
    s.push_back("GETQUOTAROOT " + n);
    s.push_back("APPEND " + n + " {5+}\r\nhello");
  }
  for (const auto& n : kNames) s.push_back("SETACL " + n + " carol@example.test lrc");
  for (const auto& n : kNames) s.push_back("SETACL " + n + " carol@example.test -c");
  for (const auto& n : kNames) s.push_back("DELETEACL " + n + " carol@example.test");
  const std::vector<std::string> more = {
      "SETACL \"~bob@example.test/Admin\" bob@example.test lr",
      "SETACL \"~bob@example.test/Admin\" Carol@Example.test +lrd",
      "GETACL \"~bob@example.test/Admin\"",
      "SETACL \"~bob@example.test/Admin\" carol@example.test lrz",
      "SETACL \"~bob@example.test/Admin\" -nobody lr",
      "SELECT INBOX",
      "COPY 1 \"~bob@example.test/Lists/dev\"",
      "COPY 1 \"~bob@example.test/Drop\"",
      "COPY 1 \"~bob@example.test/Nope\"",
      "COPY 1 \"~bob@example.test/Secret\"",
      "COPY 1 \"~\"",
      "COPY 1 \"a//b\"",
      "COPY 1 \"#public/Open\"",
      "COPY 1 \"~demo@example.test/Work\"",
      "MOVE 1 \"~bob@example.test/INBOX\"",
      "UNSELECT",
      "SELECT \"~bob@example.test/Lists/dev\"",
      "STORE 1 +FLAGS (\\Seen)",
      "STORE 1 +FLAGS (\\Flagged)",
      "EXPUNGE",
      "UNSELECT",
      "SELECT \"~bob@example.test/INBOX\"",
      "FETCH 1 (FLAGS BODY[HEADER.FIELDS (SUBJECT)])",
      "STORE 1 +FLAGS (\\Seen)",
      "EXPUNGE",
      "MOVE 1 INBOX",
      "UNSELECT",
      "CREATE \"~bob@example.test/Kids/new\"",
      "CREATE \"~bob@example.test/Kids/a/b\"",
      "CREATE \"~bob@example.test/Top\"",
      "CREATE \"~bob@example.test/Secret/x\"",
      "CREATE \"~bob@example.test/Nope/x\"",
      "CREATE \"~bob@example.test/Kids/a//b\"",
      "CREATE \"#public/Mine\"",
      "CREATE \"#public/Mine/sub/\"",
      "CREATE \"#public/Open/sub\"",
      "CREATE \"#public/News/sub\"",
      "CREATE \"#public/INBOX\"",
      "CREATE \"#public/\"",
      "CREATE \"~demo@example.test/Mine2\"",
      "CREATE \"~DEMO@example.test/inbox/x\"",
      "CREATE \"Made/\"",
      "CREATE \"a//b\"",
      "CREATE \"/a\"",
      "CREATE \"a//b*\"",
      "CREATE \"~\"",
      "CREATE \"~/x\"",
      "CREATE \"~#team/x\"",
      "CREATE Work",
      "CREATE \"Sp\" (USE (\\Archive))",
      "CREATE \"~bob@example.test/Kids/sp\" (USE (\\Bogus))",
      "LIST \"\" \"*\"",
      "SUBSCRIBE \"~bob@example.test/INBOX\"",
      "SUBSCRIBE \"~demo@example.test/Work\"",
      "SUBSCRIBE \"~\"",
      "SUBSCRIBE \"a//b\"",
      "UNSUBSCRIBE \"~demo@example.test/Work\"",
      "UNSUBSCRIBE \"~bob@example.test/INBOX\"",
      "RENAME \"~bob@example.test/Del\" \"~bob@example.test/Del2\"",
      "RENAME \"~bob@example.test/Secret\" \"~bob@example.test/S2\"",
      "RENAME \"~bob@example.test/Nope\" \"~bob@example.test/N2\"",
      "RENAME \"~bob@example.test/INBOX\" Mine",
      "RENAME \"~\" x",
      "RENAME x \"~/y\"",
      "RENAME Work \"~demo@example.test/Work2\"",
      "RENAME \"#public/Open\" \"#public/Open2\"",
      "RENAME \"a//b\" c",
      "RENAME Made \"a//b\"",
      "DELETE \"~bob@example.test/Del2\"",
      "DELETE \"~bob@example.test/Secret\"",
      "DELETE \"~bob@example.test/Nope\"",
      "DELETE \"~bob@example.test/Lists\"",
      "DELETE \"#public/Staff\"",
      "DELETE \"#public/Mine\"",
      "DELETE inbox",
      "DELETE INBOX",
      "DELETE \"~demo@example.test/inbox\"",
      "DELETE \"a//b\"",
      "DELETE \"~\"",
      "DELETE \"~#team/x\"",
      "DELETE Nope",
      "LIST \"\" \"*\"",
  };
  s.insert(s.end(), more.begin(), more.end());
  return s;
}

std::string transcript(bool admin) {
  AccessRig rig(admin);
  Dialog dialog{rig.io};
  auto session = std::make_shared<imapd::ImapSession>(rig.server(), dialog.take_stream(), "imaps", "access-test");
  dialog.start(imapd::ImapSession::run(session));
  std::string out = dialog.output();
  out = "";
  std::string login = dialog.say("a LOGIN demo@example.test secret\r\n");
  std::string all;
  int n = 0;
  for (const auto& cmd : script()) {
    std::string tag = "t" + std::to_string(n++);
    all += "C: " + tag + " " + cmd + "\r\n";
    all += dialog.say(tag + " " + cmd + "\r\n");
  }
  dialog.say("z LOGOUT\r\n");
  return all;
}

TEST(ImapdAccess, Golden) {
  for (bool admin : {false, true}) {
    std::string t = transcript(admin);
    if (const char* out = std::getenv("ACCESS_GOLDEN_OUT")) {
      std::ofstream(std::string(out) + (admin ? ".admin" : ".user")) << t;
    }
  }
}

}  // namespace
}  // namespace parley
