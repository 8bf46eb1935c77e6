// store_dump: what a mail store holds for one account, as JSON lines, for
// the integration tests (until imapd reads it for them):
//   store_dump STORE_INDEX_DIR ACCOUNT
// One line per message: {"mailbox": "INBOX", "uid": 1, "size": 123,
// "flags": 0, "body": "<base64>"}. Opens the store as any reader would
// (LMDB snapshot), never writes a message. Test-only.
#include <cstdio>
#include <string>

#include "auth/encoding.h"
#include "log/log.h"
#include "store/store.h"

int main(int argc, char** argv) {
  using namespace parley;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s STORE_INDEX_DIR ACCOUNT\n", argv[0]);
    return 2;
  }
  store::Options options;
  options.durable = false;
  auto st = store::Store::open(argv[1], options);
  if (!st) {
    std::fprintf(stderr, "store_dump: %s\n", st.error().detail.c_str());
    return 1;
  }
  auto boxes = st->mailboxes(argv[2]);
  if (!boxes) return 0;  // no such account yet: nothing delivered
  for (const auto& box : boxes.value()) {
    auto messages = st->messages(argv[2], box.id);
    if (!messages) continue;
    for (const auto& m : messages.value()) {
      auto body = st->read_body(m.body_id);
      std::printf("{\"mailbox\": %s, \"uid\": %u, \"size\": %llu, \"flags\": %u, \"body\": \"%s\"}\n",
                  log::json_quote(box.name).c_str(), m.uid, static_cast<unsigned long long>(m.size), m.flags.system,
                  body ? auth::base64_encode(body.value()).c_str() : "");
    }
  }
  return 0;
}
