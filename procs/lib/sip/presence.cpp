#include "sip/presence.h"

#include <expat.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>

namespace parley::sip {

namespace {

// Expat reports a namespaced name as "URI|local" with this separator.
constexpr char kSeparator = '|';
constexpr std::string_view kPidfNamespace = "urn:ietf:params:xml:ns:pidf";

enum class Element { other, presence, tuple, status, basic, contact, note };

// What the handlers build; the first error stops the parser.
struct ParseState {
  XML_Parser parser = nullptr;
  Presence presence;
  std::vector<Element> open;  // the elements open now, outermost first
  std::string text;           // character data of the element being read
  bool tuple_has_status = false;
  std::optional<Error> error;

  void stop(Errc code, std::string detail) {
    if (!error) error = fail(code, std::move(detail));
    XML_StopParser(parser, XML_FALSE);
  }
  Element parent() const { return open.empty() ? Element::other : open.back(); }
};

Element classify(std::string_view name, Element parent) {
  if (!name.starts_with(kPidfNamespace) || name.size() <= kPidfNamespace.size() ||
      name[kPidfNamespace.size()] != kSeparator) {
    return Element::other;
  }
  const std::string_view local = name.substr(kPidfNamespace.size() + 1);
  if (local == "presence" && parent == Element::other) return Element::presence;
  if (local == "tuple" && parent == Element::presence) return Element::tuple;
  if (local == "status" && parent == Element::tuple) return Element::status;
  if (local == "basic" && parent == Element::status) return Element::basic;
  if (local == "contact" && parent == Element::tuple) return Element::contact;
  if (local == "note" && (parent == Element::presence || parent == Element::tuple)) return Element::note;
  return Element::other;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

void on_start(void* data, const XML_Char* name, const XML_Char** attributes) {
  auto& st = *static_cast<ParseState*>(data);
  if (st.open.size() >= kMaxPidfDepth) return st.stop(Errc::limit, "PIDF nested too deep");
  // Anything inside an element of no interest (an extension) is skipped whole.
  const bool inside_other = !st.open.empty() && std::find(st.open.begin(), st.open.end(), Element::other) != st.open.end();
  const Element element = inside_other ? Element::other : classify(name, st.parent());
  if (st.open.empty() && element != Element::presence) return st.stop(Errc::syntax, "not a PIDF presence document");
  st.text.clear();
  switch (element) {
    case Element::presence:
      for (int i = 0; attributes[i] != nullptr; i += 2) {
        if (std::string_view(attributes[i]) == "entity") st.presence.entity = std::string(attributes[i + 1]).substr(0, kMaxPidfText);
      }
      break;
    case Element::tuple: {
      if (st.presence.tuples.size() >= kMaxPidfTuples) return st.stop(Errc::limit, "too many PIDF tuples");
      PresenceTuple tuple;
      for (int i = 0; attributes[i] != nullptr; i += 2) {
        if (std::string_view(attributes[i]) == "id") tuple.id = attributes[i + 1];
      }
      if (tuple.id.empty() || tuple.id.size() > kMaxPidfText) return st.stop(Errc::syntax, "a PIDF tuple without a usable id");
      st.presence.tuples.push_back(std::move(tuple));
      st.tuple_has_status = false;
      break;
    }
    case Element::status:
      if (st.tuple_has_status) return st.stop(Errc::syntax, "a PIDF tuple with two statuses");
      st.tuple_has_status = true;
      break;
    default: break;
  }
  st.open.push_back(element);
}

void on_end(void* data, const XML_Char*) {
  auto& st = *static_cast<ParseState*>(data);
  if (st.open.empty()) return;
  const Element element = st.open.back();
  st.open.pop_back();
  const std::string_view text = trim(st.text);
  switch (element) {
    case Element::tuple:
      if (!st.tuple_has_status) return st.stop(Errc::syntax, "a PIDF tuple without a status");
      break;
    case Element::basic:
      if (text == "open") {
        st.presence.tuples.back().open = true;
      } else if (text != "closed") {
        return st.stop(Errc::syntax, "a PIDF basic status other than open or closed");
      }
      break;
    case Element::contact: st.presence.tuples.back().contact = std::string(text); break;
    case Element::note: {
      auto& notes = st.parent() == Element::tuple ? st.presence.tuples.back().notes : st.presence.notes;
      if (notes.size() >= kMaxPidfNotes) return st.stop(Errc::limit, "too many PIDF notes");
      notes.emplace_back(text);
      break;
    }
    default: break;
  }
  st.text.clear();
}

void on_text(void* data, const XML_Char* s, int length) {
  auto& st = *static_cast<ParseState*>(data);
  const Element e = st.parent();
  if (e != Element::basic && e != Element::contact && e != Element::note) return;
  if (st.text.size() + static_cast<std::size_t>(length) > kMaxPidfText) return st.stop(Errc::limit, "PIDF text too long");
  st.text.append(s, static_cast<std::size_t>(length));
}

// A document type declaration could define entities (expansion bombs,
// external references): PIDF has no use for one.
void on_doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<ParseState*>(data)->stop(Errc::syntax, "a document type declaration in PIDF");
}

void on_entity(void* data, const XML_Char*, int, const XML_Char*, int, const XML_Char*, const XML_Char*, const XML_Char*,
               const XML_Char*) {
  static_cast<ParseState*>(data)->stop(Errc::syntax, "an entity declaration in PIDF");
}

// An XML ID (NCName) made of `text`: letters, digits, '.', '-', '_' kept.
std::string xml_id(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '-' || c == '_';
    out += safe ? c : '_';
  }
  return out;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters are not XML 1.0 characters: dropped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
        out += c;
    }
  }
  return out;
}

Result<Presence> parse_pidf(std::string_view xml) {
  if (xml.size() > kMaxPidfBytes) return fail(Errc::limit, "PIDF document too large");
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreateNS(nullptr, kSeparator),
                                                                       &XML_ParserFree);
  if (!parser) return fail(Errc::internal, "XML parser not created");
  ParseState st;
  st.parser = parser.get();
  XML_SetUserData(parser.get(), &st);
  XML_SetElementHandler(parser.get(), &on_start, &on_end);
  XML_SetCharacterDataHandler(parser.get(), &on_text);
  XML_SetStartDoctypeDeclHandler(parser.get(), &on_doctype);
  XML_SetEntityDeclHandler(parser.get(), &on_entity);
  const auto status = XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (st.error) return *st.error;
  if (status != XML_STATUS_OK) {
    return fail(Errc::syntax, std::string("malformed XML: ") + XML_ErrorString(XML_GetErrorCode(parser.get())));
  }
  return std::move(st.presence);
}

std::string build_pidf(const Presence& presence) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"" +
                    xml_escape(presence.entity) + "\">\n";
  for (const auto& t : presence.tuples) {
    out += " <tuple id=\"" + xml_id(t.id) + "\">\n  <status><basic>" + (t.open ? "open" : "closed") + "</basic></status>\n";
    if (!t.contact.empty()) out += "  <contact>" + xml_escape(t.contact) + "</contact>\n";
    for (const auto& n : t.notes) out += "  <note>" + xml_escape(n) + "</note>\n";
    out += " </tuple>\n";
  }
  for (const auto& n : presence.notes) out += " <note>" + xml_escape(n) + "</note>\n";
  out += "</presence>\n";
  return out;
}

Presence aggregate(std::string entity, const std::vector<Presence>& documents) {
  Presence out;
  out.entity = std::move(entity);
  std::set<std::string> notes;
  for (bool open : {true, false}) {
    for (std::size_t d = 0; d < documents.size(); ++d) {
      for (const auto& t : documents[d].tuples) {
        if (t.open != open) continue;
        PresenceTuple copy = t;
        // Two devices may both call their tuple "t1": the device's number
        // keeps them apart.
        copy.id = "d" + std::to_string(d) + "-" + xml_id(t.id);
        out.tuples.push_back(std::move(copy));
      }
    }
  }
  for (const auto& d : documents) {
    for (const auto& n : d.notes) {
      if (notes.insert(n).second) out.notes.push_back(n);
    }
  }
  return out;
}

std::string build_dialog_info(const std::string& entity, std::uint32_t version, const std::vector<DialogState>& dialogs) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" "
                    "version=\"" + std::to_string(version) + "\" state=\"full\" entity=\"" + xml_escape(entity) + "\">\n";
  for (const auto& d : dialogs) {
    out += " <dialog id=\"" + xml_escape(d.id) + "\" call-id=\"" + xml_escape(d.call_id) + "\"";
    if (!d.local_tag.empty()) out += " local-tag=\"" + xml_escape(d.local_tag) + "\"";
    if (!d.remote_tag.empty()) out += " remote-tag=\"" + xml_escape(d.remote_tag) + "\"";
    out += std::string(" direction=\"") + (d.initiator ? "initiator" : "recipient") + "\">\n";
    out += "  <state>" + xml_escape(d.state) + "</state>\n";
    if (!d.remote.empty()) out += "  <remote><identity>" + xml_escape(d.remote) + "</identity></remote>\n";
    out += " </dialog>\n";
  }
  out += "</dialog-info>\n";
  return out;
}

std::string build_message_summary(const std::string& account_uri, std::uint32_t messages, std::uint32_t unseen) {
  const std::uint32_t old = messages > unseen ? messages - unseen : 0;
  return std::string("Messages-Waiting: ") + (unseen > 0 ? "yes" : "no") + "\r\nMessage-Account: " + account_uri +
         "\r\nText-Message: " + std::to_string(unseen) + "/" + std::to_string(old) + "\r\n";
}

}  // namespace parley::sip
