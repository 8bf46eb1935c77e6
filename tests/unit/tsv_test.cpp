// parse_tsv / format_tsv: table-driven valid and malformed tables. The
// same tables seed tests/fuzz/corpus/tsv_fuzz/ (with the column set used
// here: required address, name; optional password, quota, #note, aliases).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tsv/tsv.h"

namespace parley::tsv {
namespace {

using namespace std::string_literals;
using Rows = std::vector<std::vector<std::string>>;

const std::vector<std::string_view> kRequired = {"address", "name"};
const std::vector<std::string_view> kOptional = {"password", "quota", "#note", "aliases"};

struct Valid {
  std::string input;
  std::vector<std::string> header;
  Rows rows;
  std::vector<std::size_t> lines;
};

const Valid kValid[] = {
    {"address\tname\nalice@example.com\tAlice\nbob@example.com\tBob\n",
     {"address", "name"},
     {{"alice@example.com", "Alice"}, {"bob@example.com", "Bob"}},
     {2, 3}},
    // Columns in any order, optional ones too; last line without LF.
    {"name\tquota\taddress\nAlice\t1G\talice@example.com",
     {"name", "quota", "address"},
     {{"Alice", "1G", "alice@example.com"}},
     {2}},
    // CRLF, comments and empty lines anywhere; line numbers are physical.
    {"# accounts export\r\n\r\naddress\tname\r\n# a comment\r\nalice@example.com\tAlice\r\n\r\nbob@x\tBob\r\n",
     {"address", "name"},
     {{"alice@example.com", "Alice"}, {"bob@x", "Bob"}},
     {5, 7}},
    // Header only.
    {"address\tname\taliases\n", {"address", "name", "aliases"}, {}, {}},
    // Empty fields, spaces kept.
    {"address\tname\tpassword\na@x\t\t\n b@x \t B \t\n",
     {"address", "name", "password"},
     {{"a@x", "", ""}, {" b@x ", " B ", ""}},
     {2, 3}},
    // Escapes.
    {"address\tname\na\\tb\tline1\\nline2\\r\\\\end\n\\#hash\tin\\#side\nx\\e\t\\e\n",
     {"address", "name"},
     {{"a\tb", "line1\nline2\r\\end"}, {"#hash", "in#side"}, {"x", ""}},
     {2, 3, 4}},
    // A header name that starts with '#' must be escaped.
    {"\\#note\taddress\tname\nn\ta\tb\n", {"#note", "address", "name"}, {{"n", "a", "b"}}, {2}},
    // UTF-8.
    {"address\tname\nδοκιμή@παράδειγμα.δοκιμή\tJürgen 日本\n",
     {"address", "name"},
     {{"δοκιμή@παράδειγμα.δοκιμή", "Jürgen 日本"}},
     {2}},
    // A comment may hold anything but NUL and bad UTF-8, tabs included.
    {"#\tnot\ta\theader\naddress\tname\n", {"address", "name"}, {}, {}},
};

TEST(tsv, ValidTables) {
  for (const auto& c : kValid) {
    SCOPED_TRACE(c.input);
    const auto t = parse_tsv(c.input, kRequired, kOptional);
    ASSERT_TRUE(t.ok()) << t.error().detail;
    EXPECT_EQ(t->header, c.header);
    EXPECT_EQ(t->rows, c.rows);
    EXPECT_EQ(t->lines, c.lines);

    // Round trip: same header and rows; formatting is a fixed point.
    const std::string text = format_tsv(*t);
    const auto again = parse_tsv(text, kRequired, kOptional);
    ASSERT_TRUE(again.ok()) << again.error().detail << "\n" << text;
    EXPECT_EQ(again->header, t->header);
    EXPECT_EQ(again->rows, t->rows);
    EXPECT_EQ(format_tsv(*again), text);
  }
}

TEST(tsv, FormatEscapes) {
  Table t;
  t.header = {"address", "name"};
  t.rows = {{"#a\tb", "x\\y\nz\r#"}, {"", ""}};
  EXPECT_EQ(format_tsv(t), "address\tname\n\\#a\\tb\tx\\\\y\\nz\\r#\n\t\n");
  const auto again = parse_tsv(format_tsv(t), kRequired, kOptional);
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_EQ(again->rows, t.rows);
}

TEST(tsv, OneColumnEmptyFieldRoundTrips) {
  Table t;
  t.header = {"address"};
  t.rows = {{""}, {"#"}, {"a"}};
  const std::string text = format_tsv(t);
  EXPECT_EQ(text, "address\n\\e\n\\#\na\n");
  const auto again = parse_tsv(text, {"address"}, {});
  ASSERT_TRUE(again.ok()) << again.error().detail;
  EXPECT_EQ(again->rows, t.rows);
}

TEST(tsv, Column) {
  const auto t = parse_tsv("name\taddress\nA\ta@x\n", kRequired, kOptional);
  ASSERT_TRUE(t.ok()) << t.error().detail;
  EXPECT_EQ(column(*t, "address"), 1u);
  EXPECT_EQ(column(*t, "name"), 0u);
  EXPECT_EQ(column(*t, "quota"), std::nullopt);
}

struct Malformed {
  std::string input;
  Errc code;
  std::string detail;  // the whole detail, "line N: ..."
};

const std::string kLong(kMaxLine - 4, 'x');

const Malformed kMalformed[] = {
    {"", Errc::syntax, "line 1: no header line"},
    {"# only a comment\n\n", Errc::syntax, "line 3: no header line"},
    {"address\tname\na@x\n", Errc::syntax, "line 2: 1 fields, the header has 2"},
    {"address\tname\na@x\tA\tmore\n", Errc::syntax, "line 2: 3 fields, the header has 2"},
    {"address\tname\n\n# c\na@x\tA\nb@x\tB\t\n", Errc::syntax, "line 5: 3 fields, the header has 2"},
    {"address\tname\tshoe_size\n", Errc::syntax, "line 1: unknown column \"shoe_size\""},
    {"\\#note\taddress\n", Errc::syntax, "line 1: missing required column \"name\""},
    {"# c\naddress\tpassword\n", Errc::syntax, "line 2: missing required column \"name\""},
    {"address\tname\taddress\n", Errc::syntax, "line 1: duplicate column \"address\""},
    {"address\t\tname\n", Errc::syntax, "line 1: column 2 has no name"},
    {"address\tname\na\\x\tb\n", Errc::syntax, "line 2: bad escape \"\\x\" in field 1 (use \\t \\n \\r \\\\ \\# \\e)"},
    {"address\tname\na\tb\\\n", Errc::syntax, "line 2: backslash at the end of the line"},
    {"address\tname\na\tb\\\xC3\xA9\n", Errc::syntax,
     "line 2: bad escape \"\\\\xC3\" in field 2 (use \\t \\n \\r \\\\ \\# \\e)"},
    {"address\tname\na\0b\tc\n"s, Errc::syntax, "line 2: NUL byte at column 2"},
    {"# \0\naddress\tname\n"s, Errc::syntax, "line 1: NUL byte at column 3"},
    {"address\tname\na\tb\xFF\n", Errc::syntax, "line 2: invalid UTF-8 at column 4"},
    {"address\tname\na\t\xC0\xAF\n", Errc::syntax, "line 2: invalid UTF-8 at column 3"},
    {"address\tname\na\t\xED\xA0\x80\n", Errc::syntax, "line 2: invalid UTF-8 at column 3"},
    {"address\tname\na\t\xE2\x82\n", Errc::syntax, "line 2: invalid UTF-8 at column 3"},
    {"address\tname\na\rb\tc\n", Errc::syntax, "line 2: carriage return not followed by a line feed"},
    {"address\tname\na\tb\r\r\n", Errc::syntax, "line 2: carriage return not followed by a line feed"},
    {"address\tname\n" + kLong + "\tyyyy\n", Errc::limit, "line 2: longer than 65536 bytes"},
};

TEST(tsv, MalformedTables) {
  for (const auto& c : kMalformed) {
    SCOPED_TRACE(c.input.substr(0, 80));
    const auto t = parse_tsv(c.input, kRequired, kOptional);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.code(), c.code) << t.error().detail;
    EXPECT_EQ(t.error().detail, c.detail);
  }
}

TEST(tsv, LineOfExactlyTheLimit) {
  // kMaxLine bytes, the CR of CRLF not counted.
  const auto t = parse_tsv("address\tname\n" + kLong + "\tyyy\r\n", kRequired, kOptional);
  ASSERT_TRUE(t.ok()) << t.error().detail;
  EXPECT_EQ(t->rows.at(0).at(0).size() + 1 + t->rows.at(0).at(1).size(), kMaxLine);
}

TEST(tsv, TooManyColumns) {
  std::vector<std::string_view> optional;
  std::vector<std::string> names;
  for (std::size_t i = 0; i <= kMaxColumns; ++i) names.push_back("c" + std::to_string(i));
  std::string header = "address\tname";
  for (const auto& n : names) {
    optional.push_back(n);
    header += "\t" + n;
  }
  const auto t = parse_tsv(header + "\n", kRequired, optional);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.code(), Errc::limit);
  EXPECT_EQ(t.error().detail, "line 1: header has 259 columns, over 256");
}

}  // namespace
}  // namespace parley::tsv
