// Tab-separated tables with a header row: the file format of
// `parleyctl import` / `parleyctl export` (accounts, aliases, ...). Pure:
// works on strings only.
//
// Format (UTF-8 text):
//   - lines end in LF or CRLF; a CR anywhere else is an error; the last
//     line may lack its line end;
//   - empty lines and lines whose first byte is '#' are skipped;
//   - the first other line is the header: column names, TAB-separated;
//     names are non-empty and unique, each one of `required` or
//     `optional`, and every `required` name is present; any order;
//   - every following line is a row with exactly as many fields as the
//     header, split on TAB;
//   - inside a field (and a column name) a backslash escapes:
//       \t TAB   \n LF   \r CR   \\ backslash   \# '#'   \e nothing
//     any other byte after a backslash, or a backslash ending the line, is
//     an error. format_tsv writes "\#" only for a '#' opening a line and
//     "\e" only for a row that is one empty field (so that neither reads
//     as a comment or an empty line);
//   - NUL bytes and invalid UTF-8 (overlongs, surrogates, > U+10FFFF) are
//     errors anywhere, comments included.
//
// Errors: Errc::syntax or Errc::limit, detail "line N: <what>" with N the
// 1-based line of the input (for a missing header: the line after the
// last), so the caller can point at the row.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace parley::tsv {

constexpr std::size_t kMaxRows = 10'000'000;  // import size bound, rows after the header
constexpr std::size_t kMaxLine = 64 * 1024;    // bytes per line, line end excluded
constexpr std::size_t kMaxColumns = 256;       // header fields

struct Table {
  std::vector<std::string> header;              // column names, as in the input
  std::vector<std::vector<std::string>> rows;   // unescaped fields, header.size() each
  std::vector<std::size_t> lines;               // source line (1-based) of each row
};

// Parses `text` (see the format above). `required` and `optional` are the
// names the caller knows; any other header name is an error. The table
// owns its strings; `text` may go away afterwards.
[[nodiscard]] Result<Table> parse_tsv(std::string_view text, const std::vector<std::string_view>& required,
                                      const std::vector<std::string_view>& optional);

// The header and rows, escaped as above, one LF-terminated line each
// (`lines` is ignored). For a table parse_tsv returned,
// parse_tsv(format_tsv(t)) gives the same header and rows. Rows are
// written as given: the caller keeps them header.size() wide.
std::string format_tsv(const Table& table);

// The index of column `name` in table.header, if it is there.
std::optional<std::size_t> column(const Table& table, std::string_view name);

}  // namespace parley::tsv
