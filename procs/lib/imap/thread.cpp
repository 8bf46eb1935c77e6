#include "imap/thread.h"

#include <algorithm>
#include <cstddef>
#include <map>
#include <tuple>
#include <utility>

#include "core/ascii.h"

namespace parley::imap {
namespace {

constexpr std::size_t kNil = static_cast<std::size_t>(-1);

// ---- base subject (RFC 5256 2.1) ----

struct BaseSubject {
  std::string text;               // comparable form
  bool reply_or_forward = false;  // a subj-refwd, "(fwd)" or [fwd: ...] was removed
};

bool starts_with_at(const std::string& t, std::size_t b, std::size_t e, std::string_view p) {
  return e - b >= p.size() && t.compare(b, p.size(), p) == 0;
}

// subj-blob = "[" *BLOBCHAR "]" *WSP at t[b]: the end of the match, or kNil.
std::size_t blob_end(const std::string& t, std::size_t b, std::size_t e) {
  if (b >= e || t[b] != '[') return kNil;
  std::size_t j = b + 1;
  while (j < e && t[j] != '[' && t[j] != ']' && t[j] != '\0') ++j;
  if (j >= e || t[j] != ']') return kNil;
  ++j;
  while (j < e && t[j] == ' ') ++j;
  return j;
}

// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" at t[b] (already
// upper case): the end of the match, or kNil.
std::size_t refwd_end(const std::string& t, std::size_t b, std::size_t e) {
  std::size_t j = b;
  if (starts_with_at(t, j, e, "RE")) {
    j += 2;
  } else if (starts_with_at(t, j, e, "FWD")) {
    j += 3;
  } else if (starts_with_at(t, j, e, "FW")) {
    j += 2;
  } else {
    return kNil;
  }
  while (j < e && t[j] == ' ') ++j;
  if (const std::size_t k = blob_end(t, j, e); k != kNil) j = k;
  if (j >= e || t[j] != ':') return kNil;
  return j + 1;
}

// The RFC's steps, on the range [b, e) of one normalized copy so that no
// step copies or erases: each loop turn removes something, so the work is
// linear in the length (a failed long scan only ever ends the loop).
BaseSubject extract_base(std::string_view subject) {
  BaseSubject out;
  // Step 1 (decoding was the caller's): tabs and line breaks to spaces,
  // runs of spaces to one; folded to comparable form on the way.
  std::string t;
  t.reserve(subject.size());
  for (char c : subject) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (t.empty() || t.back() != ' ') t += ' ';
    } else {
      t += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
  }
  std::size_t b = 0, e = t.size();
  for (;;) {
    // Step 2: subj-trailer = "(fwd)" / WSP, from the end, repeatedly.
    for (;;) {
      if (e > b && t[e - 1] == ' ') {
        --e;
      } else if (e - b >= 5 && t.compare(e - 5, 5, "(FWD)") == 0) {
        e -= 5;
        out.reply_or_forward = true;
      } else {
        break;
      }
    }
    // Steps 3-5: subj-leader (WSP, or *subj-blob subj-refwd) and a leading
    // subj-blob that leaves something. Removing "*subj-blob subj-refwd" at
    // once equals removing its blobs one by one (each leaves the refwd) and
    // then the refwd, which is what this loop does.
    for (;;) {
      if (b < e && t[b] == ' ') {
        ++b;
        continue;
      }
      if (const std::size_t r = refwd_end(t, b, e); r != kNil) {
        b = r;
        out.reply_or_forward = true;
        continue;
      }
      if (const std::size_t r = blob_end(t, b, e); r != kNil && r < e) {
        b = r;
        continue;
      }
      break;
    }
    // Step 6: a "[fwd:" ... "]" wrapper, then again from step 2.
    if (e - b >= 6 && t.compare(b, 5, "[FWD:") == 0 && t[e - 1] == ']') {
      b += 5;
      e -= 1;
      out.reply_or_forward = true;
      continue;
    }
    break;
  }
  out.text = t.substr(b, e - b);
  return out;
}

// ---- msg-id lists ----

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The end of the comment (with nested comments and quoted-pairs) at v[i] ==
// '('. An unclosed comment runs to the end: it is garbage either way, and
// rescanning from each '(' would be quadratic.
std::size_t skip_comment(std::string_view v, std::size_t i) {
  int depth = 0;
  for (std::size_t j = i; j < v.size(); ++j) {
    if (v[j] == '\\') {
      ++j;
    } else if (v[j] == '(') {
      ++depth;
    } else if (v[j] == ')' && --depth == 0) {
      return j + 1;
    }
  }
  return v.size();
}

// The end of the quoted string at v[i] == '"', appending its content
// (unescaped) to `content` when given. Unclosed: runs to the end.
std::size_t skip_quoted(std::string_view v, std::size_t i, std::string* content) {
  for (std::size_t j = i + 1; j < v.size(); ++j) {
    if (v[j] == '"') return j + 1;
    if (v[j] == '\\' && j + 1 < v.size()) ++j;
    if (content != nullptr) *content += v[j];
  }
  return v.size();
}

bool valid_msg_id(std::string_view id) {
  const std::size_t at = id.rfind('@');
  return at != std::string_view::npos && at > 0 && at + 1 < id.size();
}

// ---- threads ----

// A rooted forest under link and cut that answers "which is x's root" in
// O(log n) amortized time (a link-cut tree without re-rooting). RFC 5256's
// loop test "is A a descendant of B" is asked only when B has no parent, so
// it is root(A) == B; walking up parents instead would be quadratic on a
// long chain.
class LinkCutForest {
 public:
  std::size_t add() {
    nodes_.push_back({});
    return nodes_.size() - 1;
  }

  std::size_t root(std::size_t x) {
    access(x);
    while (nodes_[x].child[0] != kNil) x = nodes_[x].child[0];
    splay(x);
    return x;
  }

  // `c` must be a root and `p` outside c's tree.
  void link(std::size_t c, std::size_t p) {
    access(c);
    nodes_[c].up = p;
  }

  void cut(std::size_t c) {
    access(c);
    const std::size_t l = nodes_[c].child[0];
    if (l != kNil) {
      nodes_[l].up = kNil;
      nodes_[c].child[0] = kNil;
    }
  }

 private:
  // Each preferred path is a splay tree keyed by depth; `up` is the splay
  // parent, or for a splay tree's root the path's parent in the forest.
  struct Node {
    std::size_t child[2] = {kNil, kNil};
    std::size_t up = kNil;
  };

  bool is_splay_root(std::size_t x) const {
    const std::size_t p = nodes_[x].up;
    return p == kNil || (nodes_[p].child[0] != x && nodes_[p].child[1] != x);
  }

  void rotate(std::size_t x) {
    const std::size_t p = nodes_[x].up;
    const std::size_t g = nodes_[p].up;
    const int side = nodes_[p].child[1] == x ? 1 : 0;
    if (!is_splay_root(p)) nodes_[g].child[nodes_[g].child[1] == p ? 1 : 0] = x;
    nodes_[x].up = g;
    const std::size_t moved = nodes_[x].child[1 - side];
    nodes_[p].child[side] = moved;
    if (moved != kNil) nodes_[moved].up = p;
    nodes_[x].child[1 - side] = p;
    nodes_[p].up = x;
  }

  void splay(std::size_t x) {
    while (!is_splay_root(x)) {
      const std::size_t p = nodes_[x].up;
      if (!is_splay_root(p)) {
        const std::size_t g = nodes_[p].up;
        const bool same_side = (nodes_[g].child[0] == p) == (nodes_[p].child[0] == x);
        rotate(same_side ? p : x);
      }
      rotate(x);
    }
  }

  void access(std::size_t x) {
    std::size_t last = kNil;
    for (std::size_t y = x; y != kNil;) {
      splay(y);
      nodes_[y].child[1] = last;
      last = y;
      y = nodes_[y].up;
    }
    splay(x);
  }

  std::vector<Node> nodes_;
};

using SentKey = std::tuple<std::int64_t, std::uint32_t, std::size_t>;  // sent, uid, index

}  // namespace

std::string base_subject(std::string_view subject_utf8) { return extract_base(subject_utf8).text; }

std::vector<std::string> parse_msg_ids(std::string_view value) {
  std::vector<std::string> ids;
  std::size_t i = 0;
  while (i < value.size()) {
    const char c = value[i];
    if (c == '(') {
      i = skip_comment(value, i);
    } else if (c == '"') {
      i = skip_quoted(value, i, nullptr);
    } else if (c != '<') {
      ++i;
    } else {
      std::string id;
      bool closed = false;
      std::size_t j = i + 1;
      while (j < value.size()) {
        const char d = value[j];
        if (d == '>') {
          closed = true;
          ++j;
          break;
        }
        if (d == '<') break;  // stray '<': the next id starts there
        if (d == '(') {
          j = skip_comment(value, j);
        } else if (d == '"') {
          j = skip_quoted(value, j, &id);
        } else {
          if (!is_space(d)) id += d;
          ++j;
        }
      }
      if (closed && valid_msg_id(id)) ids.push_back(std::move(id));
      i = j;
    }
  }
  return ids;
}

std::vector<std::uint32_t> sort_messages(std::vector<SortMessage> messages,
                                         const std::vector<SortCriterion>& criteria) {
  // A key named again cannot change the order: keep its first mention.
  std::vector<SortCriterion> keys;
  for (const SortCriterion& c : criteria) {
    if (std::none_of(keys.begin(), keys.end(), [&](const SortCriterion& k) { return k.key == c.key; })) {
      keys.push_back(c);
    }
  }
  // Comparable forms once per message, not once per comparison.
  for (SortMessage& m : messages) {
    for (const SortCriterion& c : keys) {
      switch (c.key) {
        case SortKey::subject: m.subject = base_subject(m.subject); break;
        case SortKey::from: m.from = ascii_upper(m.from); break;
        case SortKey::to: m.to = ascii_upper(m.to); break;
        case SortKey::cc: m.cc = ascii_upper(m.cc); break;
        case SortKey::display_from: m.display_from = ascii_upper(m.display_from); break;
        case SortKey::display_to: m.display_to = ascii_upper(m.display_to); break;
        case SortKey::arrival:
        case SortKey::date:
        case SortKey::size: break;
      }
    }
  }

  std::vector<std::size_t> order(messages.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto three_way = [](const auto& a, const auto& b) { return a < b ? -1 : (b < a ? 1 : 0); };
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const SortMessage& a = messages[x];
    const SortMessage& b = messages[y];
    for (const SortCriterion& c : keys) {
      int r = 0;
      switch (c.key) {
        case SortKey::arrival: r = three_way(a.arrival_ms, b.arrival_ms); break;
        case SortKey::date: r = three_way(a.sent, b.sent); break;
        case SortKey::size: r = three_way(a.size, b.size); break;
        case SortKey::subject: r = three_way(a.subject, b.subject); break;
        case SortKey::from: r = three_way(a.from, b.from); break;
        case SortKey::to: r = three_way(a.to, b.to); break;
        case SortKey::cc: r = three_way(a.cc, b.cc); break;
        case SortKey::display_from: r = three_way(a.display_from, b.display_from); break;
        case SortKey::display_to: r = three_way(a.display_to, b.display_to); break;
      }
      if (r != 0) return c.reverse ? r > 0 : r < 0;
    }
    return std::pair(a.uid, x) < std::pair(b.uid, y);
  });
  std::vector<std::uint32_t> ids;
  ids.reserve(order.size());
  for (std::size_t i : order) ids.push_back(messages[i].id);
  return ids;
}


ThreadForest thread_orderedsubject(std::vector<ThreadMessage> messages) {
  const std::size_t n = messages.size();
  std::vector<std::string> base(n);
  for (std::size_t i = 0; i < n; ++i) base[i] = base_subject(messages[i].subject);
  const auto sent_key = [&](std::size_t i) { return SentKey(messages[i].sent, messages[i].uid, i); };

  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (const int r = base[a].compare(base[b]); r != 0) return r < 0;
    return sent_key(a) < sent_key(b);
  });
  // Runs of one base subject are the threads: [begin, end) of `order`.
  std::vector<std::pair<std::size_t, std::size_t>> threads;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && base[order[j]] == base[order[i]]) ++j;
    threads.emplace_back(i, j);
    i = j;
  }
  std::sort(threads.begin(), threads.end(),
            [&](const auto& a, const auto& b) { return sent_key(order[a.first]) < sent_key(order[b.first]); });

  ThreadForest out;
  out.reserve(n);
  for (const auto& [begin, end] : threads) {
    for (std::size_t k = begin; k < end; ++k) {
      out.push_back({messages[order[k]].id, k == begin ? 0u : 1u});
    }
  }
  return out;
}

ThreadForest thread_references(std::vector<ThreadMessage> messages) {
  // Mailbox order decides which duplicate keeps a Message-ID and the order
  // of step 1's links.
  std::stable_sort(messages.begin(), messages.end(),
                   [](const ThreadMessage& a, const ThreadMessage& b) { return a.uid < b.uid; });
  const std::size_t n = messages.size();

  // Nodes 0..n-1 are the messages, in that order; dummies follow.
  std::vector<std::size_t> msg(n);  // node -> message index, kNil for a dummy
  for (std::size_t i = 0; i < n; ++i) msg[i] = i;
  std::vector<std::size_t> parent(n, kNil);
  LinkCutForest forest;
  for (std::size_t i = 0; i < n; ++i) forest.add();
  const auto add_dummy = [&] {
    msg.push_back(kNil);
    parent.push_back(kNil);
    return forest.add();
  };

  // Every message's Message-ID is known before any reference is resolved,
  // so a reference to a later message finds it. The first (by uid) keeps a
  // duplicated id; the others keep their own node, which nothing names.
  // (An ordered map: its worst case does not depend on hashing ids that
  // senders choose.) Keys view `messages`, which is not changed below.
  std::map<std::string_view, std::size_t> by_id;
  for (std::size_t i = 0; i < n; ++i) {
    if (!messages[i].message_id.empty()) by_id.emplace(messages[i].message_id, i);
  }
  const auto node_for = [&](std::string_view id) {
    const auto [it, fresh] = by_id.try_emplace(id, kNil);
    if (fresh) it->second = add_dummy();
    return it->second;
  };

  // Step 1. A link B under A is made only when B has no parent, so B is a
  // root and "A descends from B" is root(A) == B (which includes A == B).
  std::vector<std::size_t> refs;
  for (std::size_t i = 0; i < n; ++i) {
    refs.clear();
    for (const std::string& r : messages[i].references) {
      if (!r.empty()) refs.push_back(node_for(r));
    }
    for (std::size_t k = 0; k + 1 < refs.size(); ++k) {  // 1.A
      const std::size_t a = refs[k], b = refs[k + 1];
      if (parent[b] == kNil && forest.root(a) != b) {
        forest.link(b, a);
        parent[b] = a;
      }
    }
    if (parent[i] != kNil) {  // 1.B: the last reference wins
      forest.cut(i);
      parent[i] = kNil;
    }
    if (!refs.empty() && forest.root(refs.back()) != i) {
      forest.link(i, refs.back());
      parent[i] = refs.back();
    }
  }

  // Step 2: the parentless nodes are the root's children.
  const std::size_t nodes = msg.size();
  std::vector<std::vector<std::size_t>> kids(nodes);
  std::vector<std::size_t> top;
  for (std::size_t v = 0; v < nodes; ++v) {
    if (parent[v] == kNil) {
      top.push_back(v);
    } else {
      kids[parent[v]].push_back(v);
    }
  }

  // Step 3: every dummy below the top is replaced by its children, spliced
  // in its place, so a node's pruned children are the nearest non-dummies
  // below it. A top-level dummy is dropped when that leaves it no child,
  // replaced by its child when one, kept over two or more. Each dummy is
  // below exactly one nearest message (or is top-level), so this is linear.
  const auto is_dummy = [&](std::size_t v) { return msg[v] == kNil; };
  std::vector<std::size_t> stack;
  const auto pruned_children = [&](std::size_t v) {
    std::vector<std::size_t> found;
    stack.assign(kids[v].rbegin(), kids[v].rend());
    while (!stack.empty()) {
      const std::size_t c = stack.back();
      stack.pop_back();
      if (!is_dummy(c)) {
        found.push_back(c);
      } else {
        stack.insert(stack.end(), kids[c].rbegin(), kids[c].rend());
      }
    }
    return found;
  };
  std::vector<std::vector<std::size_t>> children(nodes);
  for (std::size_t v = 0; v < n; ++v) children[v] = pruned_children(v);
  {
    std::vector<std::size_t> pruned_top;
    for (std::size_t v : top) {
      if (!is_dummy(v)) {
        pruned_top.push_back(v);
        continue;
      }
      std::vector<std::size_t> c = pruned_children(v);
      if (c.size() == 1) {
        pruned_top.push_back(c[0]);
      } else if (c.size() >= 2) {
        children[v] = std::move(c);
        pruned_top.push_back(v);
      }
    }
    top = std::move(pruned_top);
  }
  kids.clear();
  kids.shrink_to_fit();

  // Sibling order (steps 4 and 6): sent date, then mailbox order; a dummy
  // sorts as its first child. From here on a dummy is only ever at the top
  // and only messages are anyone's children, so sorting every child list
  // and then the top is the RFC's youngest-first order.
  const auto msg_key = [&](std::size_t v) {
    const ThreadMessage& m = messages[msg[v]];
    return SentKey(m.sent, m.uid, msg[v]);
  };
  const auto key = [&](std::size_t v) { return msg_key(is_dummy(v) ? children[v].front() : v); };
  const auto by_key = [&](std::size_t a, std::size_t b) { return key(a) < key(b); };
  const auto by_msg_key = [&](std::size_t a, std::size_t b) { return msg_key(a) < msg_key(b); };

  // Step 4.
  for (std::size_t v : top) {
    if (is_dummy(v)) std::sort(children[v].begin(), children[v].end(), by_msg_key);
  }
  std::sort(top.begin(), top.end(), by_key);

  // Step 5: merge top-level threads by base subject.
  std::vector<BaseSubject> base(n);
  for (std::size_t i = 0; i < n; ++i) base[i] = extract_base(messages[i].subject);
  const auto thread_subject = [&](std::size_t v) -> std::string_view {
    return base[msg[is_dummy(v) ? children[v].front() : v]].text;
  };
  const auto reply = [&](std::size_t v) { return !is_dummy(v) && base[msg[v]].reply_or_forward; };

  std::map<std::string_view, std::size_t> table;  // 5.A
  for (std::size_t v : top) {                     // 5.B
    const std::string_view s = thread_subject(v);
    if (s.empty()) continue;
    const auto [it, fresh] = table.try_emplace(s, v);
    if (fresh) continue;
    const std::size_t t = it->second;
    if (!is_dummy(t) && (is_dummy(v) || (reply(t) && !reply(v)))) it->second = v;
  }
  std::vector<char> at_top(nodes, 0);
  for (std::size_t v : top) at_top[v] = 1;
  for (std::size_t v : top) {  // 5.C, over the top as it was
    if (!at_top[v]) continue;  // already moved under a new dummy
    const std::string_view s = thread_subject(v);
    if (s.empty()) continue;
    const auto it = table.find(s);
    const std::size_t t = it->second;
    if (t == v) continue;
    if (is_dummy(t) && is_dummy(v)) {
      std::vector<std::size_t> moved = std::move(children[v]);
      children[v].clear();
      children[t].insert(children[t].end(), moved.begin(), moved.end());
      at_top[v] = 0;
    } else if (is_dummy(t) || (reply(v) && !reply(t))) {
      children[t].push_back(v);
      at_top[v] = 0;
    } else {
      // Neither is a dummy and v is no reply to t: both under a new dummy.
      msg.push_back(kNil);
      children.push_back({t, v});
      at_top.push_back(1);
      at_top[t] = 0;
      at_top[v] = 0;
      it->second = msg.size() - 1;
    }
  }
  {
    std::vector<std::size_t> merged_top;
    for (std::size_t v = 0; v < msg.size(); ++v) {
      if (at_top[v]) merged_top.push_back(v);
    }
    top = std::move(merged_top);
  }

  // Step 6: children (all messages) first, so a dummy's first child is
  // right when the top is sorted.
  for (std::vector<std::size_t>& c : children) std::sort(c.begin(), c.end(), by_msg_key);
  std::sort(top.begin(), top.end(), by_key);

  // Pre-order with an explicit stack: chains may be as deep as the mailbox.
  ThreadForest out;
  out.reserve(msg.size());
  std::vector<std::pair<std::size_t, std::uint32_t>> walk;
  for (auto it = top.rbegin(); it != top.rend(); ++it) walk.emplace_back(*it, 0);
  while (!walk.empty()) {
    const auto [v, depth] = walk.back();
    walk.pop_back();
    out.push_back({is_dummy(v) ? 0u : messages[msg[v]].id, depth});
    for (auto it = children[v].rbegin(); it != children[v].rend(); ++it) walk.emplace_back(*it, depth + 1);
  }
  return out;
}

std::string format_threads(const ThreadForest& forest) {
  // RFC 5256 4: thread-list = "(" (thread-members / thread-nested) ")",
  // thread-members = nz-number *(SP nz-number) [SP thread-nested],
  // thread-nested = 2*thread-list. So a node with one child continues its
  // list ("1 2"), one with several opens a list per child ("1 (2)(3)").
  const std::size_t n = forest.size();
  // First pass: each node's parent, child count and whether it is its
  // parent's first child, from the depths (a stack of the current path).
  std::vector<std::size_t> parent(n, kNil), kids(n, 0);
  std::vector<char> first(n, 0);
  std::vector<std::size_t> depth(n, 0);
  std::vector<std::size_t> path;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t d = std::min<std::size_t>(forest[i].depth, path.size());
    path.resize(d);
    depth[i] = d;
    if (!path.empty()) {
      parent[i] = path.back();
      first[i] = kids[parent[i]]++ == 0;
    }
    path.push_back(i);
  }
  // Second pass: write, closing each node's list (if it opened one) when
  // the walk leaves its subtree.
  std::string out;
  std::vector<char> opened(n, 0);
  path.clear();
  const auto close_to = [&](std::size_t d) {
    while (path.size() > d) {
      if (opened[path.back()]) out += ')';
      path.pop_back();
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    close_to(depth[i]);
    const std::size_t p = parent[i];
    if (p != kNil && first[i] && forest[p].id != 0) out += ' ';
    opened[i] = p == kNil || kids[p] >= 2;
    if (opened[i]) out += '(';
    if (forest[i].id != 0) out += std::to_string(forest[i].id);
    path.push_back(i);
  }
  close_to(0);
  return out;
}

}  // namespace parley::imap
