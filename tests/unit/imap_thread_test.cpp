// parley_imap SORT and THREAD (RFC 5256, RFC 5957): base subjects, msg-id
// lists, every sort key (reversed and combined), ORDEREDSUBJECT and
// REFERENCES on ordinary and hostile inputs (missing parents, loops,
// duplicate ids, 100,000-deep chains), and the THREAD response form.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "imap/thread.h"

namespace parley::imap {
namespace {

// ---- base subject ----

struct SubjectCase {
  std::string subject;
  std::string base;
};

TEST(BaseSubject, Table) {
  const std::vector<SubjectCase> cases = {
      {"hello", "HELLO"},
      {"Re: hello", "HELLO"},
      {"RE: Re: re:hello", "HELLO"},
      {"Fwd: hello", "HELLO"},
      {"Fw: hello", "HELLO"},
      {"FWD :hello", "HELLO"},
      {"Re [list]: hello", "HELLO"},          // blob inside subj-refwd
      {"Re[2]: Re[3]: hello", "HELLO"},
      {"[list] Re: hello", "HELLO"},          // *subj-blob subj-refwd
      {"[list] hello", "HELLO"},              // leading blob, something remains
      {"[a][b] Re: [c] hello", "HELLO"},
      {"[list]", "[LIST]"},                   // a blob that would leave nothing stays
      {"Re: [list]", "[LIST]"},
      {"[a] [b]", "[B]"},
      {"hello (fwd)", "HELLO"},
      {"hello (fwd) (FWD)  ", "HELLO"},
      {"hello(fwd)", "HELLO"},
      {"[Fwd: hello]", "HELLO"},
      {"[Fwd: Re: hello]", "HELLO"},          // nested inside the wrapper
      {"[Fwd: [Fwd: hello]]", "HELLO"},
      {"Re: [Fwd: hello (fwd)]", "HELLO"},
      {"[Fwd: hello] (fwd)", "HELLO"},
      {"[Fwd: ]", ""},
      {"  hello \t  world  ", "HELLO WORLD"},  // whitespace collapsed
      {"hello\r\n world", "HELLO WORLD"},     // unfolded continuation
      {"", ""},
      {"Re:", ""},
      {"Re: ", ""},
      {"(fwd)", ""},
      {"Rehash: x", "REHASH: X"},             // "re" must be followed by ":"
      {"Fwd hello", "FWD HELLO"},
      {"Re: [fwd: x] tail", "TAIL"},          // "[FWD: X]" is a blob here
      {"R\xc3\xa9: caf\xc3\xa9", "R\xc3\xa9: CAF\xc3\xa9"},  // non-ASCII untouched
      {"[unclosed hello", "[UNCLOSED HELLO"},
      {"Re [unclosed: hello", "RE [UNCLOSED: HELLO"},
  };
  for (const SubjectCase& c : cases) EXPECT_EQ(base_subject(c.subject), c.base) << c.subject;
}

TEST(BaseSubject, LongHostileSubjectsAreLinear) {
  // Many blobs, many prefixes, many wrappers: each must finish quickly
  // (a quadratic extraction would take minutes here).
  std::string blobs, prefixes, wrapped, open;
  for (int i = 0; i < 100000; ++i) blobs += "[x]";
  for (int i = 0; i < 100000; ++i) prefixes += "Re: ";
  for (int i = 0; i < 50000; ++i) wrapped += "[Fwd: ";
  wrapped += "x";
  for (int i = 0; i < 50000; ++i) wrapped += "]";
  for (int i = 0; i < 200000; ++i) open += "[";
  EXPECT_EQ(base_subject(blobs + " hi"), "HI");
  EXPECT_EQ(base_subject(blobs), "[X]");
  EXPECT_EQ(base_subject(prefixes + "hi"), "HI");
  EXPECT_EQ(base_subject(wrapped), "X");
  EXPECT_EQ(base_subject(open), open);
}

// ---- msg-ids ----

TEST(ParseMsgIds, Table) {
  using V = std::vector<std::string>;
  EXPECT_EQ(parse_msg_ids("<a@b> <c@d>"), (V{"a@b", "c@d"}));
  EXPECT_EQ(parse_msg_ids("<a@b>\r\n\t<c@d>"), (V{"a@b", "c@d"}));
  EXPECT_EQ(parse_msg_ids("<a@b>(comment <x@y> (nested <z@w>)) <c@d>"), (V{"a@b", "c@d"}));
  // RFC 5256 2.2: quoting does not make a different id.
  EXPECT_EQ(parse_msg_ids("<\"01KF8JCEOCBS0045PS\"@xxx.yyy.com>"), (V{"01KF8JCEOCBS0045PS@xxx.yyy.com"}));
  EXPECT_EQ(parse_msg_ids("<\"a>b\"@c>"), (V{"a>b@c"}));
  EXPECT_EQ(parse_msg_ids("< a@b >"), (V{"a@b"}));
  EXPECT_EQ(parse_msg_ids("<a (note) @b>"), (V{"a@b"}));
  EXPECT_EQ(parse_msg_ids("Your message of \"Mon, 1 Jan <x@y>\" <a@b>"), (V{"a@b"}));
  EXPECT_EQ(parse_msg_ids("garbage <a@b> more garbage"), (V{"a@b"}));
  EXPECT_EQ(parse_msg_ids("<a<b@c>"), (V{"b@c"}));  // stray "<"
  EXPECT_EQ(parse_msg_ids("<A@B> <a@b>"), (V{"A@B", "a@b"}));  // case kept
  EXPECT_EQ(parse_msg_ids("<x@[1.2.3.4]>"), (V{"x@[1.2.3.4]"}));
  EXPECT_EQ(parse_msg_ids(""), V{});
  EXPECT_EQ(parse_msg_ids("no ids here"), V{});
  EXPECT_EQ(parse_msg_ids("<noat>"), V{});
  EXPECT_EQ(parse_msg_ids("<@b>"), V{});
  EXPECT_EQ(parse_msg_ids("<a@>"), V{});
  EXPECT_EQ(parse_msg_ids("<>"), V{});
  EXPECT_EQ(parse_msg_ids("<a@b"), V{});              // unclosed
  EXPECT_EQ(parse_msg_ids("(unclosed <a@b>"), V{});   // an unclosed comment runs to the end
  EXPECT_EQ(parse_msg_ids("<a@b> \"unclosed <c@d>"), (V{"a@b"}));
}

TEST(ParseMsgIds, HostileInputIsLinear) {
  EXPECT_TRUE(parse_msg_ids(std::string(300000, '(')).empty());
  EXPECT_TRUE(parse_msg_ids(std::string(300000, '<')).empty());
  EXPECT_TRUE(parse_msg_ids(std::string(300000, '"')).empty());
  std::string many;
  for (int i = 0; i < 50000; ++i) many += "<" + std::to_string(i) + "@x>";
  EXPECT_EQ(parse_msg_ids(many).size(), 50000u);
}

// ---- SORT ----

std::vector<SortMessage> sort_fixture() {
  // ids are sequence numbers, uids differ from them; listed out of order.
  std::vector<SortMessage> m(4);
  m[0] = {.id = 3, .uid = 30, .arrival_ms = 200, .sent = 60, .size = 20, .subject = "Fwd: Alpha",
          .from = "bob", .to = "alice", .cc = "amy", .display_from = "", .display_to = "Bob"};
  m[1] = {.id = 1, .uid = 10, .arrival_ms = 300, .sent = 50, .size = 10, .subject = "Re: beta",
          .from = "carol", .to = "bob", .cc = "", .display_from = "Zoe", .display_to = "alice@x"};
  m[2] = {.id = 4, .uid = 40, .arrival_ms = 200, .sent = 60, .size = 20, .subject = "gamma",
          .from = "alice", .to = "ALICE", .cc = "", .display_from = "alice", .display_to = ""};
  m[3] = {.id = 2, .uid = 20, .arrival_ms = 100, .sent = 40, .size = 30, .subject = "alpha",
          .from = "Alice", .to = "", .cc = "zed", .display_from = "bob@example.com", .display_to = "Carl"};
  return m;
}

std::vector<std::uint32_t> sort_by(std::vector<SortCriterion> criteria) {
  return sort_messages(sort_fixture(), criteria);
}

TEST(Sort, EachKey) {
  using V = std::vector<std::uint32_t>;
  using K = SortKey;
  EXPECT_EQ(sort_by({}), (V{1, 2, 3, 4}));  // uid order
  EXPECT_EQ(sort_by({{false, K::arrival}}), (V{2, 3, 4, 1}));
  EXPECT_EQ(sort_by({{false, K::date}}), (V{2, 1, 3, 4}));
  EXPECT_EQ(sort_by({{false, K::size}}), (V{1, 3, 4, 2}));
  EXPECT_EQ(sort_by({{false, K::subject}}), (V{2, 3, 1, 4}));  // ALPHA ALPHA BETA GAMMA
  EXPECT_EQ(sort_by({{false, K::from}}), (V{2, 4, 3, 1}));     // case folded
  EXPECT_EQ(sort_by({{false, K::to}}), (V{2, 3, 4, 1}));       // "" first
  EXPECT_EQ(sort_by({{false, K::cc}}), (V{1, 4, 3, 2}));
  EXPECT_EQ(sort_by({{false, K::display_from}}), (V{3, 4, 2, 1}));
  EXPECT_EQ(sort_by({{false, K::display_to}}), (V{4, 1, 3, 2}));
}

TEST(Sort, ReverseKeepsUidOrderForTies) {
  using V = std::vector<std::uint32_t>;
  using K = SortKey;
  EXPECT_EQ(sort_by({{true, K::arrival}}), (V{1, 3, 4, 2}));
  EXPECT_EQ(sort_by({{true, K::size}}), (V{2, 3, 4, 1}));
  EXPECT_EQ(sort_by({{true, K::subject}}), (V{4, 1, 2, 3}));
}

TEST(Sort, MultipleKeys) {
  using V = std::vector<std::uint32_t>;
  using K = SortKey;
  EXPECT_EQ(sort_by({{false, K::subject}, {true, K::date}}), (V{3, 2, 1, 4}));
  EXPECT_EQ(sort_by({{false, K::arrival}, {true, K::from}}), (V{2, 3, 4, 1}));
  EXPECT_EQ(sort_by({{false, K::size}, {false, K::cc}}), (V{1, 4, 3, 2}));
  // A repeated key changes nothing (and SUBJECT is not stripped twice).
  EXPECT_EQ(sort_by({{false, K::subject}, {true, K::subject}, {true, K::date}}), (V{3, 2, 1, 4}));
}

TEST(Sort, ComparableFormIsUpperCase) {
  // i;unicode-casemap titlecases: "a" -> "A" (0x41) sorts before "_" (0x5F).
  std::vector<SortMessage> m(3);
  m[0] = {.id = 1, .uid = 1, .from = "_x"};
  m[1] = {.id = 2, .uid = 2, .from = "b"};
  m[2] = {.id = 3, .uid = 3, .from = "A"};
  EXPECT_EQ(sort_messages(m, {{false, SortKey::from}}), (std::vector<std::uint32_t>{3, 2, 1}));
  // Subjects that differ only in "Re:" and case are equal: uid order.
  std::vector<SortMessage> s(2);
  s[0] = {.id = 1, .uid = 5, .subject = "Re: HELLO"};
  s[1] = {.id = 2, .uid = 4, .subject = "hello"};
  EXPECT_EQ(sort_messages(s, {{true, SortKey::subject}}), (std::vector<std::uint32_t>{2, 1}));
}

// ---- THREAD response form ----

// The forest a THREAD response describes (test inputs are small and well
// formed, so recursion is fine here).
void parse_list(std::string_view s, std::size_t& i, std::uint32_t depth, ThreadForest& out) {
  ASSERT_EQ(s[i], '(');
  ++i;
  std::uint32_t d = depth;
  if (s[i] == '(') {
    out.push_back({0, depth});
    d = depth + 1;
  } else {
    bool first = true;
    while (s[i] >= '0' && s[i] <= '9') {
      std::uint32_t n = 0;
      while (s[i] >= '0' && s[i] <= '9') n = n * 10 + static_cast<std::uint32_t>(s[i++] - '0');
      if (!first) ++d;
      first = false;
      out.push_back({n, d});
      if (s[i] == ' ') ++i;
    }
    ++d;
  }
  while (s[i] == '(') parse_list(s, i, d, out);
  ASSERT_EQ(s[i], ')');
  ++i;
}

ThreadForest parse_threads(std::string_view s) {
  ThreadForest out;
  std::size_t i = 0;
  while (i < s.size()) parse_list(s, i, 0, out);
  return out;
}

TEST(FormatThreads, Basic) {
  EXPECT_EQ(format_threads({}), "");
  EXPECT_EQ(format_threads({{1, 0}}), "(1)");
  EXPECT_EQ(format_threads({{1, 0}, {2, 1}}), "(1 2)");
  EXPECT_EQ(format_threads({{1, 0}, {2, 1}, {3, 0}, {4, 1}, {5, 1}}), "(1 2)(3 (4)(5))");
  EXPECT_EQ(format_threads({{0, 0}, {1, 1}, {2, 1}}), "((1)(2))");
  EXPECT_EQ(format_threads({{0, 0}, {1, 1}, {2, 2}, {3, 1}}), "((1 2)(3))");
  EXPECT_EQ(format_threads({{0, 0}, {5, 1}}), "(5)");  // a dummy with one child adds nothing
  EXPECT_EQ(format_threads({{1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 1}}), "(1 (2 (3)(4))(5))");
  EXPECT_EQ(format_threads({{1, 0}, {2, 5}}), "(1 2)");  // a depth jump is taken as one
}

TEST(FormatThreads, Rfc5256Examples) {
  // The responses in RFC 5256 section 5, through parse and format.
  const std::vector<std::string> examples = {
      "(166)(167)(168)(169)(172)(170)(171)(173)(174 (175)(176)(178)(181)(180))(179)(177 (183)(182)(188)"
      "(184)(185)(186)(187)(189))(190)(191)(192)(193)(194 195)(196 (197)(198))(199)(200 202)(201)(203)"
      "(204)(205)(206 207)(208)",
      "(166)(167)(168)(169)(172)((170)(179))(171)(173)((174)(175)(176)(178)(181)(180))((177)(183)(182)"
      "(188 (184)(189))(185 186)(187))(190)(191)(192)(193)((194)(195 196))(197 198)(199)(200 202)(201)"
      "(203)(204)(205 206 207)(208)",
      "(2)(3 6 (4 23)(44 7 96))",
      "((3)(5))",
  };
  for (const std::string& e : examples) EXPECT_EQ(format_threads(parse_threads(e)), e);
  EXPECT_EQ(parse_threads("(3 6 (4 23)(44 7 96))"),
            (ThreadForest{{3, 0}, {6, 1}, {4, 2}, {23, 3}, {44, 2}, {7, 3}, {96, 4}}));
}

// ---- ORDEREDSUBJECT ----

ThreadMessage msg(std::uint32_t id, std::int64_t sent, std::string subject, std::string message_id = "",
                  std::vector<std::string> references = {}) {
  ThreadMessage m;
  m.id = id;
  m.uid = id;
  m.sent = sent;
  m.subject = std::move(subject);
  m.message_id = std::move(message_id);
  m.references = std::move(references);
  return m;
}

TEST(OrderedSubject, GroupsBySubjectAndDate) {
  std::vector<ThreadMessage> m = {
      msg(1, 300, "hello"), msg(2, 100, "Re: hello"), msg(3, 200, "world"),
      msg(4, 400, "Fwd: HELLO"), msg(5, 500, "Re: world"), msg(6, 50, ""),
  };
  EXPECT_EQ(format_threads(thread_orderedsubject(m)), "(6)(2 (1)(4))(3 5)");
  EXPECT_TRUE(thread_orderedsubject({}).empty());
}

TEST(OrderedSubject, TiesByUid) {
  std::vector<ThreadMessage> m = {msg(3, 100, "x"), msg(1, 100, "x"), msg(2, 100, "y")};
  EXPECT_EQ(format_threads(thread_orderedsubject(m)), "(1 3)(2)");
}

// ---- REFERENCES ----

std::string refs(std::vector<ThreadMessage> m) { return format_threads(thread_references(std::move(m))); }

TEST(References, ChainsAndSiblings) {
  EXPECT_EQ(refs({}), "");
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x"), msg(2, 2, "b", "b@x", {"a@x"}), msg(3, 3, "c", "c@x", {"a@x", "b@x"})}),
            "(1 2 3)");
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x"), msg(2, 3, "b", "b@x", {"a@x"}), msg(3, 2, "c", "c@x", {"a@x"})}),
            "(1 (3)(2))");  // siblings by sent date
  EXPECT_EQ(refs({msg(1, 5, "a", "a@x"), msg(2, 5, "b", "b@x", {"a@x"}), msg(3, 5, "c", "c@x", {"a@x"})}),
            "(1 (2)(3))");  // equal dates: uid order
  EXPECT_EQ(refs({msg(1, 200, "a"), msg(2, 100, "b")}), "(2)(1)");
  // A reply that arrived before its parent still hangs under it.
  EXPECT_EQ(refs({msg(1, 1, "b", "b@x", {"a@x"}), msg(2, 2, "a", "a@x")}), "(2 1)");
}

TEST(References, MissingParentsBecomeDummies) {
  // Two replies to a message not in the mailbox: a top-level dummy.
  EXPECT_EQ(refs({msg(1, 1, "p", "", {"gone@x"}), msg(2, 2, "q", "", {"gone@x"})}), "((1)(2))");
  // One reply: the dummy is replaced by its child.
  EXPECT_EQ(refs({msg(1, 1, "p", "", {"gone@x"})}), "(1)");
  // A chain of missing ancestors collapses too.
  EXPECT_EQ(refs({msg(1, 1, "p", "", {"g1@x", "g2@x", "g3@x"})}), "(1)");
  // A missing message in the middle of a chain: its child moves up.
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x"), msg(2, 2, "b", "b@x", {"a@x", "gone@x"})}), "(1 2)");
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x"), msg(2, 2, "b", "", {"a@x", "gone@x"}), msg(3, 3, "c", "", {"a@x", "gone@x"})}),
            "(1 (2)(3))");
  // Nested dummies at the top flatten into one.
  EXPECT_EQ(refs({msg(1, 1, "p", "", {"g1@x", "g2@x"}), msg(2, 2, "q", "", {"g1@x", "g3@x"})}), "((1)(2))");
  // A top-level dummy sorts by its first child.
  EXPECT_EQ(refs({msg(1, 5, "a"), msg(2, 9, "p", "", {"g@x"}), msg(3, 2, "q", "", {"g@x"})}), "((3)(2))(1)");
}

TEST(References, LoopsAreBroken) {
  // Each names the other as parent: the second link would close a loop.
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x", {"b@x"}), msg(2, 2, "b", "b@x", {"a@x"})}), "(2 1)");
  // A message referring to itself.
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x", {"a@x"})}), "(1)");
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x", {"z@x", "a@x"})}), "(1)");
  // A loop inside one References list.
  EXPECT_EQ(refs({msg(1, 1, "a", "", {"x@x", "y@x", "x@x"})}), "(1)");
  // Three messages in a circle.
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x", {"c@x"}), msg(2, 2, "b", "b@x", {"a@x"}), msg(3, 3, "c", "c@x", {"b@x"})}),
            "(3 1 2)");
}

TEST(References, DuplicateMessageIds) {
  // Only the first (by uid) keeps "a@x"; a reply hangs under it.
  EXPECT_EQ(refs({msg(2, 2, "two", "a@x"), msg(1, 1, "one", "a@x"), msg(3, 3, "three", "c@x", {"a@x"})}),
            "(1 3)(2)");
}

TEST(References, LastReferenceWins) {
  // Message 2's References make 3 a child of a missing "p@x"; 3's own
  // References then move it under 1 (step 1.B), and the dummy goes.
  EXPECT_EQ(refs({msg(1, 1, "one", "r@x"), msg(2, 3, "two", "m2@x", {"p@x", "m3@x"}),
                  msg(3, 2, "three", "m3@x", {"r@x"})}),
            "(1 3 2)");
  // Links made from References are kept when a later list disagrees.
  EXPECT_EQ(refs({msg(1, 1, "one", "a@x"), msg(2, 2, "two", "b@x"), msg(3, 3, "three", "", {"a@x", "b@x"}),
                  msg(4, 4, "four", "", {"c@x", "b@x"})}),
            "(1 2 (3)(4))");
}

TEST(References, SubjectMerging) {
  // A reply without references joins the thread of its subject.
  EXPECT_EQ(refs({msg(1, 1, "hello"), msg(2, 2, "Re: hello")}), "(1 2)");
  // The non-reply wins the table even when it comes later.
  EXPECT_EQ(refs({msg(1, 1, "Re: hello"), msg(2, 2, "hello")}), "(2 1)");
  // Two originals (or two replies): both under a new dummy.
  EXPECT_EQ(refs({msg(1, 1, "hello"), msg(2, 2, "HELLO")}), "((1)(2))");
  EXPECT_EQ(refs({msg(1, 1, "Re: hello"), msg(2, 2, "Fwd: hello")}), "((1)(2))");
  EXPECT_EQ(refs({msg(1, 1, "hello"), msg(2, 2, "hello"), msg(3, 3, "hello")}), "((1)(2)(3))");
  // A top-level dummy with that subject takes the others as children.
  EXPECT_EQ(refs({msg(1, 1, "a", "", {"g@x"}), msg(2, 2, "Re: a", "", {"g@x"}), msg(3, 3, "a")}), "((1)(2)(3))");
  // Two dummies with one subject become one.
  EXPECT_EQ(refs({msg(1, 1, "a", "", {"g@x"}), msg(2, 2, "a", "", {"g@x"}), msg(3, 3, "a", "", {"h@x"}),
                  msg(4, 4, "a", "", {"h@x"})}),
            "((1)(2)(3)(4))");
  // A whole thread merges under another by its root's subject.
  EXPECT_EQ(refs({msg(1, 1, "topic", "t@x"), msg(2, 2, "Re: topic", "r@x", {"missing@x"}),
                  msg(3, 3, "more", "", {"r@x"})}),
            "(1 2 3)");
  // Empty subjects never merge.
  EXPECT_EQ(refs({msg(1, 1, ""), msg(2, 2, "Re:")}), "(1)(2)");
  // Only top-level threads merge; replies deeper in are left alone.
  EXPECT_EQ(refs({msg(1, 1, "a", "a@x"), msg(2, 2, "b", "b@x", {"a@x"}), msg(3, 3, "b")}), "(1 2)(3)");
}

TEST(References, RfcOrderingOfMergedThreads) {
  // In date order 2, 3, 1: the reply 3 goes under the first original 2;
  // the later original 1 then pairs with 2 (and its reply) under a dummy.
  EXPECT_EQ(refs({msg(1, 5, "x"), msg(2, 3, "x"), msg(3, 4, "Re: x")}), "((2 3)(1))");
}

// ---- deep and large ----

constexpr int kDeep = 100000;

std::string mid(int i) { return std::to_string(i) + "@deep"; }

std::string chain_text(int n) {
  std::string s = "(";
  for (int i = 1; i <= n; ++i) {
    if (i > 1) s += ' ';
    s += std::to_string(i);
  }
  return s + ")";
}

TEST(Deep, ChainOfReplies) {
  std::vector<ThreadMessage> m;
  for (int i = 1; i <= kDeep; ++i) {
    m.push_back(msg(static_cast<std::uint32_t>(i), i, "s" + std::to_string(i), mid(i),
                    i > 1 ? std::vector<std::string>{mid(i - 1)} : std::vector<std::string>{}));
  }
  const ThreadForest forest = thread_references(m);
  ASSERT_EQ(forest.size(), static_cast<std::size_t>(kDeep));
  EXPECT_EQ(forest.back(), (ThreadNode{kDeep, kDeep - 1}));
  EXPECT_EQ(format_threads(forest), chain_text(kDeep));
}

TEST(Deep, ChainBuiltFromTheBottom) {
  // Message i replies to i + 1: each link hangs a whole chain under a new root.
  std::vector<ThreadMessage> m;
  for (int i = 1; i <= kDeep; ++i) {
    m.push_back(msg(static_cast<std::uint32_t>(i), kDeep - i, "s", mid(i),
                    i < kDeep ? std::vector<std::string>{mid(i + 1)} : std::vector<std::string>{}));
  }
  const ThreadForest forest = thread_references(m);
  ASSERT_EQ(forest.size(), static_cast<std::size_t>(kDeep));
  EXPECT_EQ(forest.front(), (ThreadNode{kDeep, 0}));
  EXPECT_EQ(forest.back(), (ThreadNode{1, kDeep - 1}));
}

TEST(Deep, LongReferencesOfMissingMessages) {
  // One message with 100,000 missing ancestors: a deep dummy chain to prune.
  std::vector<std::string> r;
  for (int i = 0; i < kDeep; ++i) r.push_back(mid(i));
  std::vector<ThreadMessage> m = {msg(1, 1, "a", "a@x", r), msg(2, 2, "b", "b@x", {mid(kDeep / 2)})};
  EXPECT_EQ(refs(m), "((1)(2))");
}

TEST(Deep, LoopAttemptsOnALongChain) {
  // Every message i > 1 says "last, 1, i - 1": message 2 hangs 1 under the
  // (not yet linked) last message; each then extends the chain, asking for
  // the root of an ever deeper node; the last one's own link (under
  // i - 1, which descends from it) would close the loop and is refused.
  std::vector<ThreadMessage> m;
  for (int i = 1; i <= kDeep; ++i) {
    m.push_back(msg(static_cast<std::uint32_t>(i), i, "s", mid(i),
                    i > 1 ? std::vector<std::string>{mid(kDeep), mid(1), mid(i - 1)}
                          : std::vector<std::string>{}));
  }
  std::string expected = "(" + std::to_string(kDeep);
  for (int i = 1; i < kDeep; ++i) expected += " " + std::to_string(i);
  EXPECT_EQ(format_threads(thread_references(m)), expected + ")");
}

TEST(Deep, ManySiblingsAndOrderedSubject) {
  std::vector<ThreadMessage> m;
  m.push_back(msg(1, 0, "root", "root@x"));
  for (int i = 2; i <= kDeep; ++i) {
    m.push_back(msg(static_cast<std::uint32_t>(i), kDeep - i, "Re: root", "", {"root@x"}));
  }
  const ThreadForest forest = thread_references(m);
  ASSERT_EQ(forest.size(), static_cast<std::size_t>(kDeep));
  EXPECT_EQ(forest[1], (ThreadNode{kDeep, 1}));  // the earliest reply first
  const ThreadForest flat = thread_orderedsubject(m);
  ASSERT_EQ(flat.size(), static_cast<std::size_t>(kDeep));
  EXPECT_EQ(flat[0], (ThreadNode{1, 0}));
  EXPECT_EQ(flat[1], (ThreadNode{kDeep, 1}));
}

}  // namespace
}  // namespace parley::imap
