#include "sip/rewrite.h"

#include <algorithm>

#include "core/ascii.h"

namespace parley::sip {

namespace {

// Writes "Name: v1, v2" for the values of a list header left after taking
// `drop` off the top; `drop` is decreased by what this line held.
void write_rest(std::string& out, const Header& h, std::size_t& drop) {
  auto values = split_list(h.value);
  const std::size_t taken = std::min(drop, values.size());
  drop -= taken;
  if (taken == values.size()) return;
  out.append(h.name).append(": ");
  for (std::size_t i = taken; i < values.size(); ++i) {
    if (i > taken) out += ", ";
    out.append(values[i]);
  }
  out += "\r\n";
}

}  // namespace

std::string rewrite(const Message& m, const Rewrite& e) {
  std::string out;
  out.reserve(m.body().size() + 1024);
  if (m.is_request()) {
    out.append(m.method()).append(" ");
    if (e.request_uri) {
      out += *e.request_uri;
    } else {
      out.append(m.request_uri_text());
    }
    out.append(" ").append(m.version()).append("\r\n");
  } else {
    out.append(m.version()).append(" ").append(std::to_string(m.status())).append(" ").append(m.reason()).append("\r\n");
  }
  for (const auto& line : e.prepend) out.append(line).append("\r\n");
  std::size_t vias = e.drop_vias, routes = e.drop_routes;
  bool max_forwards_written = false;
  for (const auto& h : m.headers()) {
    if (ascii_iequal(h.name, "Content-Length")) continue;
    if (std::any_of(e.remove.begin(), e.remove.end(), [&](const std::string& n) { return ascii_iequal(h.name, n); })) {
      continue;
    }
    if (ascii_iequal(h.name, "Via") && vias > 0) {
      write_rest(out, h, vias);
    } else if (ascii_iequal(h.name, "Route") && routes > 0) {
      write_rest(out, h, routes);
    } else if (ascii_iequal(h.name, "Max-Forwards") && e.max_forwards) {
      if (!max_forwards_written) out.append("Max-Forwards: ").append(std::to_string(*e.max_forwards)).append("\r\n");
      max_forwards_written = true;
    } else {
      out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
  }
  if (e.max_forwards && !max_forwards_written) {
    out.append("Max-Forwards: ").append(std::to_string(*e.max_forwards)).append("\r\n");
  }
  for (const auto& line : e.append) out.append(line).append("\r\n");
  const std::string_view body = e.body ? std::string_view(*e.body) : m.body();
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

}  // namespace parley::sip
