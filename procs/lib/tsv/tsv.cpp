#include "tsv/tsv.h"

#include "core/utf8.h"

#include <algorithm>
#include <cstdio>

namespace parley::tsv {
namespace {

Error line_error(Errc code, std::size_t line, const std::string& what) {
  return fail(code, "line " + std::to_string(line) + ": " + what);
}

std::string show_byte(unsigned char c) {
  if (c >= 33 && c <= 126) return std::string(1, static_cast<char>(c));
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", c);
  return buf;
}

// Names go into details quoted and cut short; they are valid UTF-8 by then
// but may be long.
std::string quote_name(std::string_view name) {
  constexpr std::size_t kShown = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < name.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 32 || c == 127) {
      out += show_byte(c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  // Never cut a UTF-8 sequence in half.
  if (name.size() > kShown) {
    while (out.size() > 1 && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (out.size() > 1 && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "...";
  }
  out.push_back('"');
  return out;
}

// Whole-line checks before splitting: length, NUL, stray CR, UTF-8.
Status check_line(std::string_view line, std::size_t number) {
  if (line.size() > kMaxLine) {
    return line_error(Errc::limit, number, "longer than " + std::to_string(kMaxLine) + " bytes");
  }
  for (std::size_t i = 0; i < line.size();) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == '\0') return line_error(Errc::syntax, number, "NUL byte at column " + std::to_string(i + 1));
    if (c == '\r') {
      return line_error(Errc::syntax, number, "carriage return not followed by a line feed");
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(line, i);
    if (n == 0) return line_error(Errc::syntax, number, "invalid UTF-8 at column " + std::to_string(i + 1));
    i += n;
  }
  return {};
}

// Splits a checked line on TAB and resolves the escapes.
Result<std::vector<std::string>> split_line(std::string_view line, std::size_t number) {
  std::vector<std::string> fields(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\t') {
      fields.emplace_back();
      continue;
    }
    if (c != '\\') {
      fields.back().push_back(c);
      continue;
    }
    if (i + 1 == line.size()) return line_error(Errc::syntax, number, "backslash at the end of the line");
    const auto e = static_cast<unsigned char>(line[++i]);
    switch (e) {
      case 't': fields.back().push_back('\t'); break;
      case 'n': fields.back().push_back('\n'); break;
      case 'r': fields.back().push_back('\r'); break;
      case '\\': fields.back().push_back('\\'); break;
      case '#': fields.back().push_back('#'); break;
      case 'e': break;
      default:
        return line_error(Errc::syntax, number,
                          "bad escape \"\\" + show_byte(e) + "\" in field " + std::to_string(fields.size()) +
                              " (use \\t \\n \\r \\\\ \\# \\e)");
    }
  }
  return fields;
}

Status check_header(const std::vector<std::string>& header, std::size_t number,
                    const std::vector<std::string_view>& required, const std::vector<std::string_view>& optional) {
  if (header.size() > kMaxColumns) {
    return line_error(Errc::limit, number, "header has " + std::to_string(header.size()) + " columns, over " +
                                               std::to_string(kMaxColumns));
  }
  const auto known = [&](std::string_view name) {
    return std::find(required.begin(), required.end(), name) != required.end() ||
           std::find(optional.begin(), optional.end(), name) != optional.end();
  };
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (name.empty()) return line_error(Errc::syntax, number, "column " + std::to_string(i + 1) + " has no name");
    if (std::find(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(i), name) !=
        header.begin() + static_cast<std::ptrdiff_t>(i)) {
      return line_error(Errc::syntax, number, "duplicate column " + quote_name(name));
    }
    if (!known(name)) return line_error(Errc::syntax, number, "unknown column " + quote_name(name));
  }
  for (std::string_view name : required) {
    if (std::find(header.begin(), header.end(), name) == header.end()) {
      return line_error(Errc::syntax, number, "missing required column " + quote_name(name));
    }
  }
  return {};
}

void escape_into(std::string& out, std::string_view field) {
  for (char c : field) {
    switch (c) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default: out.push_back(c);
    }
  }
}

void format_line(std::string& out, const std::vector<std::string>& fields) {
  if (fields.size() == 1 && fields[0].empty()) {
    out += "\\e\n";
    return;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back('\t');
    std::string_view field = fields[i];
    if (i == 0 && !field.empty() && field.front() == '#') {
      out += "\\#";
      field.remove_prefix(1);
    }
    escape_into(out, field);
  }
  out.push_back('\n');
}

}  // namespace

Result<Table> parse_tsv(std::string_view text, const std::vector<std::string_view>& required,
                        const std::vector<std::string_view>& optional) {
  Table table;
  bool have_header = false;
  std::size_t number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++number;
    const std::size_t lf = text.find('\n', pos);
    const std::size_t end = lf == std::string_view::npos ? text.size() : lf;
    std::string_view line = text.substr(pos, end - pos);
    pos = lf == std::string_view::npos ? text.size() : lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    if (auto st = check_line(line, number); !st) return st.error();
    if (line.empty() || line.front() == '#') continue;

    auto fields = split_line(line, number);
    if (!fields) return fields.error();
    if (!have_header) {
      if (auto st = check_header(*fields, number, required, optional); !st) return st.error();
      table.header = std::move(*fields);
      have_header = true;
      continue;
    }
    if (fields->size() != table.header.size()) {
      return line_error(Errc::syntax, number, std::to_string(fields->size()) + " fields, the header has " +
                                                  std::to_string(table.header.size()));
    }
    if (table.rows.size() == kMaxRows) {
      return line_error(Errc::limit, number, "more than " + std::to_string(kMaxRows) + " rows");
    }
    table.rows.push_back(std::move(*fields));
    table.lines.push_back(number);
  }
  if (!have_header) return line_error(Errc::syntax, number + 1, "no header line");
  return table;
}

std::string format_tsv(const Table& table) {
  std::string out;
  format_line(out, table.header);
  for (const auto& row : table.rows) format_line(out, row);
  return out;
}

std::optional<std::size_t> column(const Table& table, std::string_view name) {
  const auto it = std::find(table.header.begin(), table.header.end(), name);
  if (it == table.header.end()) return std::nullopt;
  return static_cast<std::size_t>(it - table.header.begin());
}

}  // namespace parley::tsv
