// parse_tsv on arbitrary bytes with the accounts column set: must never
// crash. An accepted table must survive format_tsv: parsing the formatted
// text gives the same header and rows, and formatting is a fixed point.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tsv/tsv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string_view> kRequired = {"address", "name"};
  static const std::vector<std::string_view> kOptional = {"password", "quota", "#note", "aliases"};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto table = parley::tsv::parse_tsv(text, kRequired, kOptional);
  if (!table) {
    if (table.error().detail.rfind("line ", 0) != 0) std::abort();
    return 0;
  }
  if (table->rows.size() != table->lines.size()) std::abort();
  const std::string formatted = parley::tsv::format_tsv(*table);
  const auto again = parley::tsv::parse_tsv(formatted, kRequired, kOptional);
  if (!again || again->header != table->header || again->rows != table->rows ||
      parley::tsv::format_tsv(*again) != formatted) {
    std::abort();
  }
  return 0;
}
