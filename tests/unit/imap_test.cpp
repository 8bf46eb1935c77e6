// parley_imap: table-driven commands (each valid one fed whole and one
// byte at a time), literals of every kind, malformed commands with their
// error codes, limits, resync, mailbox names (RFC 3501 5.1.3) and the
// response encoders. The tables seed tests/fuzz/corpus/imap_command_fuzz/.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "imap/command.h"
#include "imap/encoding.h"

namespace parley::imap {
namespace {

using namespace std::string_literals;
using K = SearchKey::Kind;
using I = FetchAtt::Item;

// Every step that is not need_more, after feeding `wire` in chunks of `chunk`
// bytes (0: all at once). `early` counts commands seen before the last byte.
struct Trace {
  std::vector<Step> steps;
  int early = 0;
  int continuations = 0;
};

Trace run(CommandReader& r, std::string_view wire, std::size_t chunk = 0) {
  Trace t;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    const std::size_t n = chunk == 0 ? wire.size() : std::min(chunk, wire.size() - pos);
    r.feed(wire.substr(pos, n));
    pos += n;
    for (;;) {
      Step s = r.next();
      if (s.kind == Step::Kind::need_more) break;
      if (s.kind == Step::Kind::continuation) ++t.continuations;
      if (s.kind == Step::Kind::command && pos < wire.size()) ++t.early;
      t.steps.push_back(std::move(s));
    }
  }
  return t;
}

Trace run(std::string_view wire, std::size_t chunk = 0, Limits limits = {}) {
  CommandReader r(limits);
  return run(r, wire, chunk);
}

struct Valid {
  std::string wire;  // complete, CRLF included
  std::function<void(const Command&)> check;
  int sync = 0;  // synchronizing literals in the command
};

const std::vector<Valid>& valid_cases() {
  static const std::vector<Valid> kValid = {
      {"a1 CAPABILITY\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::capability); EXPECT_EQ(c.tag, "a1"); }},
      {"a2 noop\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::noop); }},
      {"a] LOGOUT\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::logout); EXPECT_EQ(c.tag, "a]"); }},
      {"t STARTTLS\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::starttls); }},
      {"t LOGIN alice \"se\\\"cret\"\r\n",
       [](const Command& c) { EXPECT_EQ(c.user, "alice"); EXPECT_EQ(c.password, "se\"cret"); }},
      {"t LOGIN {5}\r\nalice {6}\r\nsecret\r\n",
       [](const Command& c) { EXPECT_EQ(c.user, "alice"); EXPECT_EQ(c.password, "secret"); }, 2},
      {"t LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n",
       [](const Command& c) { EXPECT_EQ(c.user, "alice"); EXPECT_EQ(c.password, "secret"); }},
      {"t AUTHENTICATE plain\r\n",
       [](const Command& c) { EXPECT_EQ(c.mechanism, "PLAIN"); EXPECT_FALSE(c.initial_response); }},
      {"t AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n",
       [](const Command& c) { EXPECT_EQ(*c.initial_response, "AGFsaWNlAHNlY3JldA=="); }},
      {"t AUTHENTICATE EXTERNAL =\r\n", [](const Command& c) { EXPECT_EQ(*c.initial_response, "="); }},
      {"t ENABLE CONDSTORE utf8=accept\r\n", [](const Command& c) {
         EXPECT_EQ(c.capabilities, (std::vector<std::string>{"CONDSTORE", "UTF8=ACCEPT"}));
       }},
      {"t SELECT inbox\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::select); EXPECT_EQ(c.mailbox, "INBOX"); }},
      {"t EXAMINE \"Drafts\"\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::examine); EXPECT_EQ(c.mailbox, "Drafts"); }},
      {"t SELECT INBOX (CONDSTORE)\r\n", [](const Command& c) { EXPECT_TRUE(c.select.condstore); }},
      {"t SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n", [](const Command& c) {
         ASSERT_TRUE(c.select.qresync);
         EXPECT_EQ(c.select.qresync->uidvalidity, 67890007u);
         EXPECT_EQ(c.select.qresync->modseq, 20050715194045000u);
         EXPECT_EQ(format_sequence_set(*c.select.qresync->known_uids), "41,43:211,214:541");
         EXPECT_FALSE(c.select.qresync->seq_match);
       }},
      {"t SELECT INBOX (QRESYNC (1 2 1:10 (1:3 5:7)))\r\n", [](const Command& c) {
         ASSERT_TRUE(c.select.qresync && c.select.qresync->seq_match);
         EXPECT_EQ(format_sequence_set(c.select.qresync->seq_match->second), "5:7");
       }},
      {"t SELECT INBOX (QRESYNC (1 2 (1:3 5:7)))\r\n", [](const Command& c) {
         EXPECT_FALSE(c.select.qresync->known_uids);
         EXPECT_TRUE(c.select.qresync->seq_match);
       }},
      {"t CREATE Archive/2024\r\n", [](const Command& c) { EXPECT_EQ(c.mailbox, "Archive/2024"); }},
      {"t CREATE Sent (USE (\\Sent))\r\n", [](const Command& c) { EXPECT_EQ(c.flags, std::vector<std::string>{"\\Sent"}); }},
      {"t DELETE \"\"\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::delete_); EXPECT_EQ(c.mailbox, ""); }},
      {"t RENAME old new\r\n", [](const Command& c) { EXPECT_EQ(c.mailbox, "old"); EXPECT_EQ(c.new_name, "new"); }},
      {"t SUBSCRIBE &ZeVnLIqe-\r\n", [](const Command& c) { EXPECT_EQ(c.mailbox, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"); }},
      {"t UNSUBSCRIBE x\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::unsubscribe); }},
      {"t LIST \"\" *\r\n", [](const Command& c) {
         EXPECT_EQ(c.reference, "");
         EXPECT_EQ(c.patterns, std::vector<std::string>{"*"});
         EXPECT_FALSE(c.list.extended);
       }},
      {"t LIST \"\" \"\"\r\n", [](const Command& c) { EXPECT_EQ(c.patterns, std::vector<std::string>{""}); }},
      {"t LIST ~/Mail/ %]x\r\n", [](const Command& c) { EXPECT_EQ(c.reference, "~/Mail/"); EXPECT_EQ(c.patterns[0], "%]x"); }},
      {"t LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX* Sent) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN SIZE))\r\n",
       [](const Command& c) {
         EXPECT_TRUE(c.list.extended && c.list.select_subscribed && c.list.select_recursivematch);
         EXPECT_EQ(c.patterns, (std::vector<std::string>{"INBOX*", "Sent"}));
         EXPECT_TRUE(c.list.return_children && c.list.return_special_use);
         EXPECT_EQ(*c.list.return_status,
                   (std::vector<StatusItem>{StatusItem::messages, StatusItem::unseen, StatusItem::size}));
       }},
      {"t LIST (SPECIAL-USE) \"\" *\r\n", [](const Command& c) { EXPECT_TRUE(c.list.select_special_use); }},
      {"t LIST () \"\" % RETURN ()\r\n", [](const Command& c) { EXPECT_TRUE(c.list.extended); }},
      {"t LSUB \"\" news.*\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::lsub); EXPECT_EQ(c.patterns[0], "news.*"); }},
      {"t NAMESPACE\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::namespace_); }},
      {"t STATUS blurdybloop (UIDNEXT MESSAGES HIGHESTMODSEQ size deleted)\r\n", [](const Command& c) {
         EXPECT_EQ(c.status_items, (std::vector<StatusItem>{StatusItem::uidnext, StatusItem::messages,
                                                            StatusItem::highestmodseq, StatusItem::size,
                                                            StatusItem::deleted}));
       }},
      {"t APPEND saved-messages (\\Seen) {13}\r\nHello World\r\n\r\n", [](const Command& c) {
         EXPECT_EQ(c.mailbox, "saved-messages");
         EXPECT_EQ(c.flags, std::vector<std::string>{"\\Seen"});
         EXPECT_EQ(c.message, "Hello World\r\n");
         EXPECT_FALSE(c.binary);
         EXPECT_FALSE(c.internal_date);
       }, 1},
      {"t APPEND INBOX \" 7-Feb-1994 21:52:25 -0800\" {3+}\r\nabc\r\n", [](const Command& c) {
         ASSERT_TRUE(c.internal_date);
         EXPECT_EQ(c.internal_date->unix_time, 760686745);
         EXPECT_EQ(c.internal_date->zone_minutes, -480);
       }},
      {"t APPEND INBOX () \"17-Jul-1996 02:44:25 +0000\" ~{4}\r\na\0bc\r\n"s, [](const Command& c) {
         EXPECT_TRUE(c.binary);
         EXPECT_EQ(c.message, "a\0bc"s);
         EXPECT_TRUE(c.flags.empty());
       }, 1},
      {"t APPEND x (\\Draft $Junk) ~{0+}\r\n\r\n", [](const Command& c) { EXPECT_EQ(c.flags.size(), 2u); EXPECT_TRUE(c.message.empty()); }},
      {"t IDLE\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::idle); }},
      {"t CHECK\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::check); }},
      {"t CLOSE\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::close); }},
      {"t UNSELECT\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::unselect); }},
      {"t EXPUNGE\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::expunge); EXPECT_FALSE(c.uid); }},
      {"t UID EXPUNGE 3000:3002\r\n", [](const Command& c) { EXPECT_TRUE(c.uid); EXPECT_EQ(format_sequence_set(c.sequence), "3000:3002"); }},
      {"t SEARCH ALL\r\n", [](const Command& c) {
         EXPECT_EQ(c.search.kind, K::and_);
         ASSERT_EQ(c.search.children.size(), 1u);
         EXPECT_EQ(c.search.children[0].kind, K::all);
         EXPECT_FALSE(c.search_return.requested);
       }},
      {"t SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n", [](const Command& c) {
         const auto& k = c.search.children;
         ASSERT_EQ(k.size(), 3u);
         EXPECT_EQ(k[1].kind, K::since);
         EXPECT_EQ(k[1].date, (Date{1994, 2, 1}));
         EXPECT_EQ(k[2].kind, K::not_);
         EXPECT_EQ(k[2].children[0].kind, K::from);
         EXPECT_EQ(k[2].children[0].value, "Smith");
       }},
      {"t UID SEARCH CHARSET UTF-8 OR (SUBJECT {4}\r\ncaf\xc3 BODY x) HEADER Message-ID <a@b> 1:5,7 UID $\r\n",
       [](const Command& c) {
         EXPECT_TRUE(c.uid);
         EXPECT_EQ(c.charset, "UTF-8");
         const auto& k = c.search.children;
         ASSERT_EQ(k.size(), 3u);
         EXPECT_EQ(k[0].kind, K::or_);
         EXPECT_EQ(k[0].children[0].kind, K::and_);
         EXPECT_EQ(k[0].children[0].children[0].value, "caf\xc3");
         EXPECT_EQ(k[0].children[1].kind, K::header);
         EXPECT_EQ(k[0].children[1].field, "Message-ID");
         EXPECT_EQ(k[1].kind, K::sequence);
         EXPECT_EQ(k[2].kind, K::uid);
         EXPECT_TRUE(k[2].set.saved);
       }, 1},
      {"t SEARCH RETURN (MIN MAX COUNT SAVE) LARGER 1024 SMALLER 99999 KEYWORD $Forwarded UNKEYWORD x\r\n",
       [](const Command& c) {
         EXPECT_TRUE(c.search_return.requested && c.search_return.min && c.search_return.max &&
                     c.search_return.count && c.search_return.save && !c.search_return.all);
         EXPECT_EQ(c.search.children[0].number, 1024u);
         EXPECT_EQ(c.search.children[2].value, "$Forwarded");
       }},
      {"t SEARCH RETURN () ALL\r\n", [](const Command& c) { EXPECT_TRUE(c.search_return.all); }},
      {"t SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n", [](const Command& c) {
         const auto& k = c.search.children[0];
         EXPECT_EQ(k.kind, K::modseq);
         EXPECT_EQ(k.field, "/flags/\\draft");
         EXPECT_EQ(k.value, "all");
         EXPECT_EQ(k.number, 620162338u);
       }},
      {"t SEARCH MODSEQ 5 ANSWERED DELETED DRAFT NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN\r\n",
       [](const Command& c) { EXPECT_EQ(c.search.children.size(), 13u); }},
      {"t SEARCH BEFORE \"3-Mar-2024\" ON 29-Feb-2024 SENTBEFORE 1-Jan-2000 SENTON 1-jan-2000 SENTSINCE 1-Jan-2000 BCC a CC b TO c TEXT d OLDER 60 YOUNGER 5\r\n",
       [](const Command& c) {
         EXPECT_EQ(c.search.children[1].date, (Date{2024, 2, 29}));
         EXPECT_EQ(c.search.children.size(), 11u);
       }},
      {"t FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n", [](const Command& c) {
         EXPECT_EQ(format_sequence_set(c.sequence), "2:4");
         ASSERT_EQ(c.fetch.size(), 2u);
         EXPECT_EQ(c.fetch[1].item, I::body_section);
         EXPECT_FALSE(c.fetch[1].peek);
         EXPECT_EQ(c.fetch[1].section.text, Section::Text::header_fields);
         EXPECT_EQ(c.fetch[1].section.fields, (std::vector<std::string>{"DATE", "FROM"}));
       }},
      {"t FETCH 1 ALL\r\n", [](const Command& c) { EXPECT_EQ(c.fetch.size(), 4u); }},
      {"t FETCH 1 fast\r\n", [](const Command& c) { EXPECT_EQ(c.fetch.size(), 3u); }},
      {"t FETCH 1:* FULL\r\n", [](const Command& c) {
         EXPECT_EQ(c.fetch.size(), 5u);
         EXPECT_EQ(c.fetch[4].item, I::body);
         EXPECT_EQ(c.sequence.ranges[0].last, SequenceSet::kStar);
       }},
      {"t FETCH * BODY.PEEK[1.2.MIME]<0.1024>\r\n", [](const Command& c) {
         const auto& a = c.fetch[0];
         EXPECT_TRUE(a.peek);
         EXPECT_EQ(a.section.part, (std::vector<std::uint32_t>{1, 2}));
         EXPECT_EQ(a.section.text, Section::Text::mime);
         EXPECT_EQ(a.partial->offset, 0u);
         EXPECT_EQ(a.partial->length, 1024u);
       }},
      {"t FETCH 1 (BODY[] BODY[TEXT] BODY[3] BODY[1.HEADER.FIELDS.NOT (X-A)] BODY BODYSTRUCTURE ENVELOPE INTERNALDATE UID MODSEQ)\r\n",
       [](const Command& c) {
         ASSERT_EQ(c.fetch.size(), 10u);
         EXPECT_EQ(c.fetch[0].section.text, Section::Text::none);
         EXPECT_EQ(c.fetch[1].section.text, Section::Text::text);
         EXPECT_EQ(c.fetch[2].section.part, std::vector<std::uint32_t>{3});
         EXPECT_EQ(c.fetch[3].section.text, Section::Text::header_fields_not);
         EXPECT_EQ(c.fetch[4].item, I::body);
         EXPECT_EQ(c.fetch[9].item, I::modseq);
       }},
      {"t FETCH 1 (RFC822 RFC822.HEADER RFC822.SIZE RFC822.TEXT)\r\n", [](const Command& c) {
         EXPECT_EQ(c.fetch[3].item, I::rfc822_text);
       }},
      {"t FETCH 1 (BINARY[1.2]<5.10> BINARY.PEEK[] BINARY.SIZE[3])\r\n", [](const Command& c) {
         EXPECT_EQ(c.fetch[0].item, I::binary);
         EXPECT_EQ(c.fetch[0].section.part, (std::vector<std::uint32_t>{1, 2}));
         EXPECT_EQ(c.fetch[0].partial->offset, 5u);
         EXPECT_TRUE(c.fetch[1].peek);
         EXPECT_EQ(c.fetch[2].item, I::binary_size);
       }},
      {"t UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n", [](const Command& c) {
         EXPECT_TRUE(c.uid);
         EXPECT_EQ(*c.fetch_modifiers.changedsince, 12345u);
         EXPECT_TRUE(c.fetch_modifiers.vanished);
       }},
      {"t FETCH $ UID\r\n", [](const Command& c) { EXPECT_TRUE(c.sequence.saved); }},
      {"t STORE 2:4 +FLAGS (\\Deleted)\r\n", [](const Command& c) {
         EXPECT_EQ(c.store.op, StoreAction::Op::add);
         EXPECT_FALSE(c.store.silent);
         EXPECT_EQ(c.store.flags, std::vector<std::string>{"\\Deleted"});
       }},
      {"t UID STORE 1 -FLAGS.SILENT \\Seen $Junk\r\n", [](const Command& c) {
         EXPECT_EQ(c.store.op, StoreAction::Op::remove);
         EXPECT_TRUE(c.store.silent);
         EXPECT_EQ(c.store.flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
       }},
      {"t STORE 7 (UNCHANGEDSINCE 320162338) FLAGS ()\r\n", [](const Command& c) {
         EXPECT_EQ(c.store.op, StoreAction::Op::replace);
         EXPECT_EQ(*c.store.unchangedsince, 320162338u);
         EXPECT_TRUE(c.store.flags.empty());
       }},
      {"t COPY 2:4 MEETING\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::copy); EXPECT_EQ(c.mailbox, "MEETING"); }},
      {"t UID MOVE 42,50:* Trash\r\n", [](const Command& c) {
         EXPECT_EQ(c.verb, Verb::move);
         EXPECT_EQ(c.sequence.ranges.size(), 2u);
       }},
      {"t ID (\"name\" \"sodr\" \"version\" NIL)\r\n", [](const Command& c) {
         ASSERT_TRUE(c.id);
         ASSERT_EQ(c.id->size(), 2u);
         EXPECT_EQ((*c.id)[0].second, "sodr");
         EXPECT_FALSE((*c.id)[1].second);
       }},
      {"t ID NIL\r\n", [](const Command& c) { EXPECT_FALSE(c.id); }},
      {"t GETQUOTA \"\"\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::getquota); EXPECT_EQ(c.quota_root, ""); }},
      {"t GETQUOTAROOT INBOX\r\n", [](const Command& c) { EXPECT_EQ(c.mailbox, "INBOX"); }},
      {"t SETQUOTA \"\" (STORAGE 512 message 1000)\r\n", [](const Command& c) {
         EXPECT_EQ(c.quota, (std::vector<std::pair<std::string, std::uint64_t>>{{"STORAGE", 512}, {"MESSAGE", 1000}}));
       }},
      {"t SETACL INBOX bob +lrswi\r\n", [](const Command& c) { EXPECT_EQ(c.identifier, "bob"); EXPECT_EQ(c.rights, "+lrswi"); }},
      {"t DELETEACL INBOX bob\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::deleteacl); }},
      {"t GETACL INBOX\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::getacl); }},
      {"t LISTRIGHTS Shared anyone\r\n", [](const Command& c) { EXPECT_EQ(c.identifier, "anyone"); }},
      {"t MYRIGHTS Shared\r\n", [](const Command& c) { EXPECT_EQ(c.verb, Verb::myrights); }},
      {"t SORT (REVERSE DATE SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n", [](const Command& c) {
         ASSERT_EQ(c.sort.size(), 2u);
         EXPECT_TRUE(c.sort[0].reverse);
         EXPECT_EQ(c.sort[0].key, SortKey::date);
         EXPECT_EQ(c.sort[1].key, SortKey::subject);
         EXPECT_EQ(c.charset, "UTF-8");
       }},
      {"t UID SORT RETURN (COUNT) (ARRIVAL CC FROM SIZE TO DISPLAYFROM DISPLAYTO) US-ASCII ALL\r\n",
       [](const Command& c) { EXPECT_EQ(c.sort.size(), 7u); EXPECT_TRUE(c.search_return.count); }},
      {"t THREAD references UTF-8 ALL\r\n", [](const Command& c) { EXPECT_EQ(c.thread_algorithm, "REFERENCES"); }},
      {"t UID THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n", [](const Command& c) { EXPECT_TRUE(c.uid); }},
      {"t COMPRESS DEFLATE\r\n", [](const Command& c) { EXPECT_EQ(c.mechanism, "DEFLATE"); }},
      {"t login \"a\" {0}\r\n\r\n", [](const Command& c) { EXPECT_EQ(c.password, ""); }, 1},
      {"t LOGIN \"{3}\" x\r\n", [](const Command& c) { EXPECT_EQ(c.user, "{3}"); }},  // no literal inside quotes
  };
  return kValid;
}

TEST(CommandReader, ValidWhole) {
  for (const auto& c : valid_cases()) {
    SCOPED_TRACE(c.wire);
    const Trace t = run(c.wire);
    ASSERT_EQ(t.steps.size(), static_cast<std::size_t>(c.sync + 1));
    for (int i = 0; i < c.sync; ++i) EXPECT_EQ(t.steps[i].kind, Step::Kind::continuation);
    const Step& last = t.steps.back();
    ASSERT_EQ(last.kind, Step::Kind::command) << last.failure.detail;
    c.check(last.command);
  }
}

TEST(CommandReader, ValidByteAtATime) {
  for (const auto& c : valid_cases()) {
    SCOPED_TRACE(c.wire);
    const Trace t = run(c.wire, 1);
    EXPECT_EQ(t.early, 0);
    EXPECT_EQ(t.continuations, c.sync);
    ASSERT_FALSE(t.steps.empty());
    const Step& last = t.steps.back();
    ASSERT_EQ(last.kind, Step::Kind::command) << last.failure.detail;
    c.check(last.command);
  }
}

TEST(CommandReader, Pipelined) {
  std::string all;
  for (const auto& c : valid_cases()) all += c.wire;
  for (std::size_t chunk : {std::size_t{0}, std::size_t{7}}) {
    const Trace t = run(all, chunk);
    std::size_t commands = 0;
    for (const auto& s : t.steps) {
      ASSERT_NE(s.kind, Step::Kind::failure) << s.failure.detail;
      if (s.kind == Step::Kind::command) ++commands;
    }
    EXPECT_EQ(commands, valid_cases().size());
  }
}

struct Malformed {
  std::string wire;
  Errc code;
  std::string tag;  // the tag the failure must carry
  Hint hint = Hint::none;
};

const std::vector<Malformed>& malformed_cases() {
  static const std::vector<Malformed> kMalformed = {
      {"\r\n", Errc::syntax, ""},
      {"NOOP\r\n", Errc::syntax, ""},                       // missing tag
      {"* NOOP\r\n", Errc::syntax, ""},                     // bad tag characters
      {"a+b NOOP\r\n", Errc::syntax, ""},
      {"a\"b NOOP\r\n", Errc::syntax, ""},
      {"a1 FROB\r\n", Errc::invalid, "a1", Hint::unknown_command},
      {"a1 UID NOOP\r\n", Errc::invalid, "a1", Hint::unknown_command},
      {"a1 NOOP x\r\n", Errc::syntax, "a1"},
      {"a1 NOOP \r\n", Errc::syntax, "a1"},
      {"a1 NOOP\n", Errc::syntax, "a1"},                   // bare LF
      {"a1 NO\rOP\r\n", Errc::syntax, "a1"},               // bare CR
      {"a1 NOOP\0\r\n"s, Errc::syntax, "a1"},              // NUL
      {"a1 LOGIN {3}\r\na\0b\r\n"s, Errc::syntax, "a1"},   // NUL in a literal
      {"a1 FETCH 1 (FLAGS\r\n", Errc::syntax, "a1"},        // unbalanced parentheses
      {"a1 FETCH 1 FLAGS)\r\n", Errc::syntax, "a1"},
      {"a1 STORE 1 +FLAGS (\\Seen\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 0 FLAGS\r\n", Errc::syntax, "a1"},         // bad sequence sets
      {"a1 FETCH 1: FLAGS\r\n", Errc::syntax, "a1"},
      {"a1 FETCH a FLAGS\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1,,2 FLAGS\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 4294967296 FLAGS\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 01 FLAGS\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1 BODY[4.TEXT\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1 BODY[MIME]\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1 BODY.PEEK\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1 BINARY[TEXT]\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1 BODY[]<5.0>\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1 FROB\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1 (ALL)\r\n", Errc::syntax, "a1"},
      {"a1 FETCH 1 FLAGS (VANISHED)\r\n", Errc::syntax, "a1"},  // needs UID FETCH and CHANGEDSINCE
      {"a1 LOGIN {3-}\r\nabc x\r\n", Errc::syntax, "a1"},       // not RFC 7888 syntax
      {"a1 LOGIN {}\r\n", Errc::syntax, "a1"},
      {"a1 LOGIN {99999999999999999999}\r\n", Errc::syntax, "a1"},  // beyond number64
      {"a1 LOGIN a\r\n", Errc::syntax, "a1"},
      {"a1 LOGIN \"a\\x\" b\r\n", Errc::syntax, "a1"},
      {"a1 SELECT caf\xc3\xa9\r\n", Errc::syntax, "a1"},   // 8-bit name from a rev1 client
      {"a1 SEARCH CHARSET KOI8-R ALL\r\n", Errc::invalid, "a1", Hint::bad_charset},
      {"a1 SEARCH FROB\r\n", Errc::syntax, "a1"},
      {"a1 SEARCH SINCE 30-Feb-2024\r\n", Errc::syntax, "a1"},
      {"a1 SEARCH OR ALL\r\n", Errc::syntax, "a1"},
      {"a1 SEARCH\r\n", Errc::syntax, "a1"},
      {"a1 SORT (DATE) ALL\r\n", Errc::invalid, "a1", Hint::bad_charset},  // charset required
      {"a1 SORT () UTF-8 ALL\r\n", Errc::syntax, "a1"},
      {"a1 STATUS INBOX ()\r\n", Errc::syntax, "a1"},
      {"a1 STATUS INBOX (FROB)\r\n", Errc::syntax, "a1"},
      {"a1 APPEND INBOX \"abc\"\r\n", Errc::syntax, "a1"},  // message must be a literal
      {"a1 APPEND INBOX \"31-Jun-2024 00:00:00 +0000\" {1+}\r\nx\r\n", Errc::syntax, "a1"},
      {"a1 LIST (RECURSIVEMATCH) \"\" *\r\n", Errc::syntax, "a1"},
      {"a1 LIST \"\" * RETURN (FROB)\r\n", Errc::syntax, "a1"},
      {"a1 AUTHENTICATE PLAIN abc\r\n", Errc::syntax, "a1"},
      {"a1 ENABLE\r\n", Errc::syntax, "a1"},
      {"a1 SELECT INBOX (FROB)\r\n", Errc::syntax, "a1"},
      {"a1 SELECT INBOX (QRESYNC (0 1))\r\n", Errc::syntax, "a1"},
      {"a1 COPY 1\r\n", Errc::syntax, "a1"},
      {"a1 UID EXPUNGE\r\n", Errc::syntax, "a1"},
      {"a1 ID (\"a\")\r\n", Errc::syntax, "a1"},
      {"a1 SETQUOTA \"\" (STORAGE)\r\n", Errc::syntax, "a1"},
  };
  return kMalformed;
}

// A well-formed astring that is no valid name parses, flagged, so that the
// session can answer NO rather than BAD (RFC 9051 7.1).
TEST(Parse, InvalidMailboxNameIsFlaggedNotRefused) {
  auto c = parse_command("a1 SELECT &Jjo!", Limits{}, false);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->invalid_name);
  EXPECT_EQ(c->mailbox, "&Jjo!");
  auto l = parse_command("a1 LIST \"\" \"&Jjo!*\"", Limits{}, false);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->invalid_name);
  auto fine = parse_command("a1 SELECT &U,BTFw-", Limits{}, false);
  ASSERT_TRUE(fine.ok());
  EXPECT_FALSE(fine->invalid_name);
}

TEST(CommandReader, Malformed) {
  for (const auto& c : malformed_cases()) {
    for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
      SCOPED_TRACE(c.wire + " chunk " + std::to_string(chunk));
      CommandReader r;
      Trace t = run(r, c.wire, chunk);
      // Whatever the failure, the next command is read normally.
      const Trace after = run(r, "z1 NOOP\r\n");
      ASSERT_FALSE(t.steps.empty());
      const Step* failure = nullptr;
      for (const auto& s : t.steps) {
        EXPECT_NE(s.kind, Step::Kind::command);
        if (s.kind == Step::Kind::failure && !failure) failure = &s;
      }
      ASSERT_NE(failure, nullptr);
      EXPECT_EQ(failure->failure.code, c.code) << failure->failure.detail;
      EXPECT_EQ(failure->failure.tag, c.tag);
      EXPECT_EQ(failure->failure.hint, c.hint);
      ASSERT_FALSE(after.steps.empty());
      EXPECT_EQ(after.steps.back().kind, Step::Kind::command);
      EXPECT_EQ(after.steps.back().command.tag, "z1");
    }
  }
}

TEST(CommandReader, SyncLiteralAsksForContinuationOnce) {
  CommandReader r;
  r.feed("a LOGIN {5}\r\n");
  EXPECT_EQ(r.next().kind, Step::Kind::continuation);
  EXPECT_EQ(r.next().kind, Step::Kind::need_more);
  r.feed("ali");
  EXPECT_EQ(r.next().kind, Step::Kind::need_more);
  r.feed("ce pw\r\n");
  const Step s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::command);
  EXPECT_EQ(s.command.user, "alice");
}

TEST(CommandReader, NonSyncLiteralNoContinuation) {
  const Trace t = run("a LOGIN {5+}\r\nalice pw\r\n");
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_EQ(t.steps[0].kind, Step::Kind::command);
}

TEST(CommandReader, HugeLiteralRefusedBeforeData) {
  for (const std::string ann : {"{1073741824}", "{4294967296}", "~{1073741824}"}) {
    SCOPED_TRACE(ann);
    CommandReader r;
    r.feed("A7 APPEND INBOX " + ann + "\r\n");
    const Step s = r.next();
    ASSERT_EQ(s.kind, Step::Kind::failure);
    EXPECT_EQ(s.failure.code, Errc::limit);
    EXPECT_EQ(s.failure.hint, Hint::too_big);
    EXPECT_EQ(s.failure.tag, "A7");
    EXPECT_EQ(failure_response(s.failure), "A7 BAD [TOOBIG] Too large\r\n");
    // Synchronizing: the client sends no data; the next line is a command.
    r.feed("A8 NOOP\r\n");
    const Step n = r.next();
    ASSERT_EQ(n.kind, Step::Kind::command);
    EXPECT_EQ(n.command.tag, "A8");
  }
}

TEST(CommandReader, HugeNonSyncLiteralSkipped) {
  Limits limits;
  limits.max_literal = 100;
  CommandReader r(limits);
  r.feed("A1 APPEND INBOX {1000+}\r\n");
  Step s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::failure);
  EXPECT_EQ(s.failure.hint, Hint::too_big);
  // The announced data is skipped (counted, not kept), then the rest of
  // that command's line, and reading resumes.
  for (int i = 0; i < 10; ++i) {
    r.feed(std::string(100, i == 3 ? '\n' : 'x'));
    EXPECT_EQ(r.next().kind, Step::Kind::need_more);
  }
  r.feed(" trailing stuff\r\nA2 NOOP\r\n");
  s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::command);
  EXPECT_EQ(s.command.tag, "A2");
}

TEST(CommandReader, LiteralMinus) {
  Limits limits;
  limits.literal_minus = true;
  Trace t = run("a APPEND INBOX {4096+}\r\n" + std::string(4096, 'x') + "\r\n", 0, limits);
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_EQ(t.steps[0].kind, Step::Kind::command);
  t = run("a APPEND INBOX {4097+}\r\n" + std::string(4097, 'x') + "\r\nb NOOP\r\n", 0, limits);
  ASSERT_EQ(t.steps.size(), 2u);
  EXPECT_EQ(t.steps[0].failure.hint, Hint::too_big);
  EXPECT_EQ(t.steps[1].command.tag, "b");
  t = run("a APPEND INBOX {4097}\r\n", 0, limits);  // synchronizing: fine
  EXPECT_EQ(t.steps[0].kind, Step::Kind::continuation);
}

TEST(CommandReader, SyncLiteralEarlyChecks) {
  // An unknown command or a bad tag is refused instead of asking for data.
  Trace t = run("a FROB {5}\r\nb NOOP\r\n");
  ASSERT_EQ(t.steps.size(), 2u);
  EXPECT_EQ(t.steps[0].failure.code, Errc::invalid);
  EXPECT_EQ(t.steps[0].failure.tag, "a");
  EXPECT_EQ(t.steps[1].command.tag, "b");
  t = run("{5}\r\nb NOOP\r\n");
  EXPECT_EQ(t.steps[0].failure.code, Errc::syntax);
  EXPECT_EQ(t.steps[1].command.tag, "b");
}

TEST(CommandReader, LineTooLong) {
  Limits limits;
  limits.max_line = 64;
  CommandReader r(limits);
  r.feed("tag9 LOGIN " + std::string(100, 'x'));
  Step s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::failure);
  EXPECT_EQ(s.failure.code, Errc::limit);
  EXPECT_EQ(s.failure.tag, "tag9");
  // The rest of the line, however long, is skipped with bounded memory,
  // including the non-synchronizing literal it announces.
  for (int i = 0; i < 100; ++i) {
    r.feed(std::string(1000, 'y'));
    EXPECT_EQ(r.next().kind, Step::Kind::need_more);
  }
  r.feed(" \"{\" {3+}\r\n\nab\r\nt2 NOOP\r\n");
  s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::command) << s.failure.detail;
  EXPECT_EQ(s.command.tag, "t2");
  // Exactly at the limit is fine.
  const std::string line = "a LOGIN x " + std::string(64 - 12, 'p') + "\r\n";
  ASSERT_EQ(line.size(), 64u);
  EXPECT_EQ(run(line, 1, limits).steps.back().kind, Step::Kind::command);
  EXPECT_EQ(run("a LOGIN x " + std::string(64 - 11, 'p') + "\r\n", 1, limits).steps.back().failure.code,
            Errc::limit);
}

TEST(CommandReader, CommandTooLarge) {
  Limits limits;
  limits.max_command = 100;
  const Trace t = run("a LOGIN {60+}\r\n" + std::string(60, 'u') + " {60}\r\nb NOOP\r\n", 0, limits);
  ASSERT_EQ(t.steps.size(), 2u);
  EXPECT_EQ(t.steps[0].failure.code, Errc::limit);
  EXPECT_EQ(t.steps[0].failure.hint, Hint::too_big);
  EXPECT_EQ(t.steps[1].command.tag, "b");
}

TEST(CommandReader, Nesting) {
  std::string deep = "a SEARCH ";
  for (int i = 0; i < 100; ++i) deep += '(';
  deep += "ALL";
  for (int i = 0; i < 100; ++i) deep += ')';
  Trace t = run(deep + "\r\n");
  ASSERT_EQ(t.steps.size(), 1u);
  EXPECT_EQ(t.steps[0].failure.code, Errc::limit);
  EXPECT_EQ(t.steps[0].failure.tag, "a");
  std::string nots = "a SEARCH";
  for (int i = 0; i < 100; ++i) nots += " NOT";
  t = run(nots + " ALL\r\n");
  EXPECT_EQ(t.steps[0].failure.code, Errc::limit);
  std::string ok = "a SEARCH ";
  for (int i = 0; i < 31; ++i) ok += '(';
  ok += "ALL";
  for (int i = 0; i < 31; ++i) ok += ')';
  t = run(ok + "\r\n");
  EXPECT_EQ(t.steps[0].kind, Step::Kind::command) << t.steps[0].failure.detail;
}

TEST(CommandReader, LineModeForIdleAndSasl) {
  CommandReader r;
  r.feed("a IDLE\r\n");
  Step s = r.next();
  ASSERT_EQ(s.command.verb, Verb::idle);
  r.set_mode(CommandReader::Mode::line);
  r.feed("done\r\n");
  s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::line);
  EXPECT_TRUE(is_idle_done(s.line));
  EXPECT_FALSE(is_idle_done("DONE "));
  r.feed("{5}\r\n");
  s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::line);  // no literal in line mode
  EXPECT_EQ(s.line, "{5}");
  r.set_mode(CommandReader::Mode::command);
  r.feed("b NOOP\r\n");
  EXPECT_EQ(r.next().command.tag, "b");
}

TEST(CommandReader, TakeUnread) {
  CommandReader r;
  r.feed("a STARTTLS\r\nb NOOP\r\n");
  EXPECT_EQ(r.next().command.verb, Verb::starttls);
  EXPECT_EQ(r.take_unread(), "b NOOP\r\n");
  EXPECT_EQ(r.next().kind, Step::Kind::need_more);
}

TEST(CommandReader, Utf8Names) {
  CommandReader r;
  r.set_utf8(true);
  r.feed("a SELECT \"caf\xc3\xa9 &-\"\r\n");
  Step s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::command);
  EXPECT_EQ(s.command.mailbox, "caf\xc3\xa9 &-");
  r.feed("a SELECT \"\xc3\x28\"\r\n");
  EXPECT_EQ(r.next().failure.code, Errc::syntax);
}

TEST(FailureResponse, Lines) {
  EXPECT_EQ(failure_response({Errc::syntax, Hint::none, "a1", ""}), "a1 BAD Syntax error\r\n");
  EXPECT_EQ(failure_response({Errc::syntax, Hint::none, "", ""}), "* BAD Syntax error\r\n");
  EXPECT_EQ(failure_response({Errc::invalid, Hint::bad_charset, "a1", ""}),
            "a1 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n");
  EXPECT_EQ(failure_response({Errc::invalid, Hint::unknown_command, "x", ""}), "x BAD Unknown command\r\n");
}

// ---- mailbox names ----

TEST(Mailbox, Utf7Examples) {
  // RFC 3501 5.1.3.
  auto n = decode_mailbox("~peter/mail/&U,BTFw-/&ZeVnLIqe-", false);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  EXPECT_EQ(encode_mailbox(*n, false), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(encode_mailbox(*n, true), *n);
  EXPECT_EQ(*decode_mailbox("&-", false), "&");
  EXPECT_EQ(encode_mailbox("Tom & Jerry", false), "Tom &- Jerry");
  EXPECT_EQ(*decode_mailbox("inBox", false), "INBOX");
  EXPECT_EQ(*decode_mailbox("inBox", false, false), "inBox");
  EXPECT_EQ(*decode_mailbox("inbox/x", false), "inbox/x");
  // Supplementary plane: a surrogate pair (U+1F600).
  const std::string grin = "\xf0\x9f\x98\x80";
  EXPECT_EQ(encode_mailbox(grin, false), "&2D3eAA-");
  EXPECT_EQ(*decode_mailbox("&2D3eAA-", false), grin);
  for (const char* bad : {"&Jjo!", "&U,BTFw", "&AGE-", "&2D0-", "&U,BTFw-&ZeVnLIqe-", "&U,BTF-", "a\x01", "\xc3\xa9"}) {
    EXPECT_FALSE(decode_mailbox(bad, false).ok()) << bad;
  }
}

TEST(Mailbox, RoundTrip) {
  for (const std::string name : {"INBOX", "Entw\xc3\xbcrfe", "\xd0\x9f\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0", "a&b&&c",
                                 "\xe6\x97\xa5\xe6\x9c\xac", "x\xc3\xa9y\xc3\xa9"}) {
    const std::string wire = encode_mailbox(name, false);
    for (char c : wire) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << name;
    auto back = decode_mailbox(wire, false);
    ASSERT_TRUE(back.ok()) << wire;
    EXPECT_EQ(*back, name);
  }
}

// ---- response encoding ----

TEST(Encode, Strings) {
  EXPECT_EQ(encode_string("hello"), "\"hello\"");
  EXPECT_EQ(encode_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(encode_string("a\r\nb"), "{4}\r\na\r\nb");
  EXPECT_EQ(encode_string("caf\xc3\xa9"), "{5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(encode_string("caf\xc3\xa9", true), "\"caf\xc3\xa9\"");
  EXPECT_EQ(encode_astring("INBOX"), "INBOX");
  EXPECT_EQ(encode_astring("nil"), "\"nil\"");
  EXPECT_EQ(encode_astring(""), "\"\"");
  EXPECT_EQ(encode_astring("a b"), "\"a b\"");
  EXPECT_EQ(encode_nstring(std::nullopt), "NIL");
  EXPECT_EQ(encode_nstring("x"), "\"x\"");
  EXPECT_EQ(format_mailbox("Tom & Jerry", false), "\"Tom &- Jerry\"");
}

TEST(Encode, DateTime) {
  EXPECT_EQ(format_date_time(760686745, -480), "\"07-Feb-1994 21:52:25 -0800\"");
  EXPECT_EQ(format_date_time(0), "\"01-Jan-1970 00:00:00 +0000\"");
  EXPECT_EQ(format_date_time(837571465, 120), "\"17-Jul-1996 04:44:25 +0200\"");
}

TEST(SequenceSet, Compression) {
  EXPECT_EQ(format_sequence_set(std::vector<std::uint32_t>{}), "");
  EXPECT_EQ(format_sequence_set(std::vector<std::uint32_t>{10, 1, 2, 3, 7, 9, 3, 0}), "1:3,7,9:10");
  EXPECT_EQ(format_sequence_set(std::vector<std::uint32_t>{4294967295u, 4294967294u}), "4294967294:4294967295");
}

TEST(SequenceSet, ContainsAndIntervals) {
  CommandReader r;
  r.feed("a FETCH 5:3,10,*,20:* FLAGS\r\n");
  const Step s = r.next();
  ASSERT_EQ(s.kind, Step::Kind::command);
  const SequenceSet& set = s.command.sequence;
  EXPECT_TRUE(set.contains(4, 100));
  EXPECT_FALSE(set.contains(6, 100));
  EXPECT_TRUE(set.contains(100, 100));
  EXPECT_TRUE(set.contains(15, 15));   // 20:* with * = 15 is 15:20
  EXPECT_FALSE(set.contains(0, 100));
  EXPECT_FALSE(set.contains(11, 12));
  using P = std::pair<std::uint32_t, std::uint32_t>;
  EXPECT_EQ(set.intervals(100), (std::vector<P>{{3, 5}, {10, 10}, {20, 100}}));
  EXPECT_EQ(set.intervals(0), (std::vector<P>{{3, 5}, {10, 10}}));  // "*" in an empty mailbox
  EXPECT_EQ(format_sequence_set(set), "5:3,10,*,20:*");
  SequenceSet big;
  big.ranges = {{1, 4294967295u}, {7, 9}};
  EXPECT_EQ(big.intervals(5), (std::vector<P>{{1, 4294967295u}}));
}

}  // namespace
}  // namespace parley::imap

namespace parley::imap {
namespace {

// Writes the tables as fuzz seeds: PARLEY_CORPUS=tests/fuzz/corpus/imap_command_fuzz
// build/.../imap_test --gtest_also_run_disabled_tests --gtest_filter='*WriteCorpus*'
TEST(CommandReader, DISABLED_WriteCorpus) {
  const char* dir = std::getenv("PARLEY_CORPUS");
  ASSERT_NE(dir, nullptr);
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::FILE* f = std::fopen((std::string(dir) + "/" + name).c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  };
  int i = 0;
  for (const auto& c : valid_cases()) write("valid_" + std::to_string(i++), c.wire);
  i = 0;
  for (const auto& c : malformed_cases()) write("malformed_" + std::to_string(i++), c.wire + "b NOOP\r\n");
  write("huge_literal", "A7 APPEND INBOX {1073741824}\r\nA8 NOOP\r\n");
  write("huge_nonsync", "A7 APPEND INBOX {200+}\r\n" + std::string(200, 'x') + "\r\nA8 NOOP\r\n");
  write("deep", "a SEARCH " + std::string(100, '(') + "ALL" + std::string(100, ')') + "\r\n");
  write("idle", "a IDLE\r\nDONE\r\nb NOOP\r\n");
  write("long_line", "a LOGIN " + std::string(300, 'x') + " {3+}\r\nabc\r\nb NOOP\r\n");
}

}  // namespace
}  // namespace parley::imap
