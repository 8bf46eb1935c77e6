// SIP messages on arbitrary bytes, as a datagram and as a stream: never
// crashes; a parsed message serializes to one that parses to the same
// values and serializes the same again; a request always gets a response
// (make_response) that parses; the stream framer cuts the same frames and
// reports the same errors whether the bytes come whole or one at a time.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sip/framer.h"
#include "sip/message.h"

namespace {

using namespace parley::sip;

// The values a round trip must keep.
std::string summary(const Message& m) {
  std::string out;
  auto add = [&](std::string_view v) { out.append(v).push_back('\n'); };
  auto addr = [&](const NameAddr& a) {
    add(a.display);
    add(to_string(a.uri));
    add(a.tag().value_or("-"));
    for (const auto& p : a.params) add(std::string(p.name) + "=" + std::string(p.value));
  };
  add(m.method());
  add(m.is_request() ? to_string(m.request_uri()) : std::to_string(m.status()));
  add(m.reason());
  add(m.version());
  for (const auto& h : m.headers()) {
    if (h.name != "Content-Length") add(std::string(h.name) + ": " + std::string(h.value));
  }
  for (const auto& v : m.vias()) {
    add(std::string(v.transport) + " " + std::string(v.host) + " " + std::to_string(v.port.value_or(0)) + " " +
        std::string(v.branch().value_or("-")));
  }
  addr(m.from());
  addr(m.to());
  add(m.call_id());
  add(std::to_string(m.cseq().number) + " " + std::string(m.cseq().method));
  add(m.max_forwards() ? std::to_string(*m.max_forwards()) : "-");
  add(m.expires() ? std::to_string(*m.expires()) : "-");
  for (const auto& c : m.contacts()) addr(c);
  for (const auto& r : m.routes()) addr(r);
  for (const auto& r : m.record_routes()) addr(r);
  add(m.body());
  return out;
}

void check(std::string bytes) {
  auto m = parse_message(std::move(bytes));
  if (!m) return;
  const std::string wire = m->serialize();
  auto again = parse_message(wire);
  if (!again) {
    // Long names for compact ones and an added Content-Length may take a
    // message near a limit over it; nothing else may fail.
    if (again.code() != parley::Errc::limit) std::abort();
    return;
  }
  if (summary(*m) != summary(*again)) std::abort();
  if (again->serialize() != wire) std::abort();
  if (m->is_request()) {
    auto response = make_response(*m, 200, "OK", "fuzz");
    if (!response && response.code() != parley::Errc::invalid) std::abort();
    if (response && (response->call_id() != m->call_id() || response->vias().size() != m->vias().size())) {
      std::abort();
    }
  }
}

// Every frame and error the framer gives for `data` fed in `chunk`-byte
// pieces, each message also checked as above.
std::vector<std::string> frames(std::string_view data, std::size_t chunk, bool parse) {
  Framer framer(4096);
  std::vector<std::string> out;
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    framer.feed(data.substr(at, chunk));
    for (;;) {
      auto f = framer.next();
      if (!f) {
        out.push_back("error " + std::string(parley::errc_name(f.code())));
        continue;
      }
      if (!*f) break;
      out.push_back(std::to_string(static_cast<int>((*f)->kind)) + (*f)->bytes);
      if (parse && (*f)->kind == Frame::Kind::message) check((*f)->bytes);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(std::string(bytes));
  if (frames(bytes, bytes.size() + 1, true) != frames(bytes, 1, false)) std::abort();
  return 0;
}
