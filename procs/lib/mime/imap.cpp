// IMAP text for BODY, BODYSTRUCTURE and ENVELOPE (RFC 9051 9, formal
// syntax: body, envelope, address).
#include "core/utf8.h"
#include "mime/internal.h"

namespace parley::mime {
namespace {

using namespace detail;

void append_nstring(std::string& out, const std::optional<std::string>& s, bool utf8) {
  if (s) {
    append_string(out, *s, utf8);
  } else {
    out += "NIL";
  }
}

bool has_8bit(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

void append_params(std::string& out, const std::vector<Param>& params, bool utf8) {
  if (params.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  bool first = true;
  for (const Param& p : params) {
    if (!first) out += ' ';
    first = false;
    if (!utf8 && has_8bit(p.value)) {
      // RFC 2231 form, so a client without UTF-8 still gets the value.
      static constexpr char kHex[] = "0123456789ABCDEF";
      std::string encoded = "utf-8''";
      for (char c : p.value) {
        const auto b = static_cast<unsigned char>(c);
        if (b >= 0x80 || b < 0x21 || c == '%' || c == '\'' || c == '"' || c == '\\' || c == '*') {
          encoded += '%';
          encoded += kHex[b >> 4];
          encoded += kHex[b & 15];
        } else {
          encoded += c;
        }
      }
      append_string(out, upper(p.name) + "*", utf8);
      out += ' ';
      append_string(out, encoded, utf8);
    } else {
      append_string(out, upper(p.name), utf8);
      out += ' ';
      append_string(out, p.value, utf8);
    }
  }
  out += ')';
}

void append_extension(std::string& out, const Part& part, bool utf8) {
  out += ' ';
  if (part.disposition) {
    out += '(';
    append_string(out, upper(*part.disposition), utf8);
    out += ' ';
    append_params(out, part.disposition_params, utf8);
    out += ')';
  } else {
    out += "NIL";
  }
  out += ' ';
  if (part.language.empty()) {
    out += "NIL";
  } else {
    out += '(';
    for (std::size_t i = 0; i < part.language.size(); ++i) {
      if (i) out += ' ';
      append_string(out, part.language[i], utf8);
    }
    out += ')';
  }
  out += ' ';
  append_nstring(out, part.location, utf8);
}

void append_addresses(std::string& out, const std::vector<Address>& list, bool utf8) {
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (const Address& a : list) {
    out += '(';
    append_nstring(out, a.name, utf8);
    out += ' ';
    append_nstring(out, a.adl, utf8);
    out += ' ';
    append_nstring(out, a.mailbox, utf8);
    out += ' ';
    append_nstring(out, a.host, utf8);
    out += ')';
  }
  out += ')';
}

void append_envelope(std::string& out, const Envelope& env, bool utf8) {
  out += '(';
  append_nstring(out, env.date, utf8);
  out += ' ';
  append_nstring(out, env.subject, utf8);
  for (const auto* list : {&env.from, &env.sender, &env.reply_to, &env.to, &env.cc, &env.bcc}) {
    out += ' ';
    append_addresses(out, *list, utf8);
  }
  out += ' ';
  append_nstring(out, env.in_reply_to, utf8);
  out += ' ';
  append_nstring(out, env.message_id, utf8);
  out += ')';
}

void append_body(std::string& out, const Part& part, bool ext, bool utf8) {
  out += '(';
  if (part.multipart()) {
    for (const Part& child : part.children) append_body(out, child, ext, utf8);
    out += ' ';
    append_string(out, upper(part.subtype), utf8);
    if (ext) {
      out += ' ';
      append_params(out, part.params, utf8);
      append_extension(out, part, utf8);
    }
    out += ')';
    return;
  }
  append_string(out, upper(part.type), utf8);
  out += ' ';
  append_string(out, upper(part.subtype), utf8);
  out += ' ';
  append_params(out, part.params, utf8);
  out += ' ';
  append_nstring(out, part.id, utf8);
  out += ' ';
  append_nstring(out, part.description, utf8);
  out += ' ';
  append_string(out, upper(part.encoding), utf8);
  out += ' ';
  out += std::to_string(part.body.length);
  if (part.message()) {
    const Part& inner = part.children.front();
    out += ' ';
    append_envelope(out, inner.envelope ? *inner.envelope : Envelope{}, utf8);
    out += ' ';
    append_body(out, inner, ext, utf8);
    out += ' ';
    out += std::to_string(part.lines);
  } else if (part.type == "text") {
    out += ' ';
    out += std::to_string(part.lines);
  }
  if (ext) {
    out += ' ';
    append_nstring(out, part.md5, utf8);
    append_extension(out, part, utf8);
  }
  out += ')';
}

}  // namespace

void append_string(std::string& out, std::string_view s, bool utf8_accepted) {
  bool literal = false;
  bool eight_bit = false;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n') literal = true;
    if (b >= 0x80) eight_bit = true;
  }
  if (eight_bit && (!utf8_accepted || !valid_utf8(s))) literal = true;
  std::string body;
  body.reserve(s.size());
  for (char c : s) {
    if (c != '\0') body += c;
  }
  if (literal) {
    out += '{';
    out += std::to_string(body.size());
    out += "}\r\n";
    out += body;
    return;
  }
  out += '"';
  for (char c : body) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string bodystructure(const Part& part, bool extensible, bool utf8_accepted) {
  std::string out;
  append_body(out, part, extensible, utf8_accepted);
  return out;
}

std::string envelope(const Envelope& env, bool utf8_accepted) {
  std::string out;
  append_envelope(out, env, utf8_accepted);
  return out;
}

}  // namespace parley::mime
