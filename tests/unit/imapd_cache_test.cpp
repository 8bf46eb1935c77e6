// imapd's parsed-message cache (procs/imapd/server.h, MessageCache): the
// bound counts the parsed trees as well as the bytes, least recently used
// entries go first, oversized entries are not kept, unused ones expire (time
// injected), and entries a session still holds stay usable after eviction.
#include "procs/imapd/server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace parley::imapd {
namespace {

std::shared_ptr<CachedMessage> entry(std::string raw) {
  auto e = std::make_shared<CachedMessage>();
  e->raw = std::move(raw);
  return e;
}

std::string plain(std::size_t body_bytes) {
  return "From: a@example.test\r\nTo: b@example.test\r\nSubject: plain\r\n\r\n" + std::string(body_bytes, 'x');
}

// A small message whose parsed tree is many times its size: `parts` empty
// parts in one multipart.
std::string many_parts(int parts) {
  std::string m = "From: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < parts; ++i) m += "--b\r\n\r\n";
  return m + "--b--\r\n";
}

TEST(MessageCache, KeepsAndFinds) {
  MessageCache cache(1 << 20);
  EXPECT_EQ(cache.find("a"), nullptr);
  auto a = entry(plain(1000));
  cache.insert("a", a);
  EXPECT_EQ(cache.find("a"), a);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_GT(cache.bytes(), 1000u);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(MessageCache, ParsedTreeIsCounted) {
  MessageCache cache(64 << 20);
  auto a = entry(many_parts(200));
  cache.insert("a", a);
  const std::size_t raw_only = cache.bytes(), unparsed = a->footprint();
  ASSERT_NE(a->tree(), nullptr);
  ASSERT_EQ(a->tree()->children.size(), 200u);
  // 200 parts cost far more than their ~1.6 KB of text.
  EXPECT_GT(cache.bytes(), raw_only + 200 * sizeof(mime::Part));
  EXPECT_EQ(cache.bytes() - raw_only, a->footprint() - unparsed);
}

TEST(MessageCache, BoundHoldsOnceTreesAreBuilt) {
  const std::size_t bound = 2 << 20;
  MessageCache cache(bound);
  std::vector<std::shared_ptr<CachedMessage>> held;
  for (int i = 0; i < 200; ++i) {
    auto e = entry(many_parts(100));
    cache.insert("m" + std::to_string(i), e);
    ASSERT_NE(e->tree(), nullptr);
    EXPECT_LE(cache.bytes(), bound);
    held.push_back(e);
  }
  // Each entry is about 100 KiB once parsed: far fewer than 200 fit.
  EXPECT_LT(cache.entries(), 40u);
  EXPECT_GT(cache.entries(), 5u);
  // The oldest went first; the newest is there.
  EXPECT_EQ(cache.find("m0"), nullptr);
  EXPECT_NE(cache.find("m199"), nullptr);
  // Evicted entries that a session holds are intact.
  EXPECT_EQ(held[0]->tree()->children.size(), 100u);
}

TEST(MessageCache, LeastRecentlyUsedGoesFirst) {
  const auto a = entry(plain(100000)), b = entry(plain(100000));
  MessageCache cache(4 * a->footprint() + 2048);  // room for four
  cache.insert("a", a);
  cache.insert("b", b);
  cache.insert("c", entry(plain(100000)));
  cache.insert("d", entry(plain(100000)));
  EXPECT_EQ(cache.entries(), 4u);
  EXPECT_EQ(cache.find("a"), a);  // a is now newer than b
  cache.insert("e", entry(plain(100000)));
  EXPECT_EQ(cache.entries(), 4u);
  EXPECT_EQ(cache.find("b"), nullptr);
  EXPECT_EQ(cache.find("a"), a);
  EXPECT_NE(cache.find("c"), nullptr);
}

TEST(MessageCache, TooBigIsNotKept) {
  MessageCache cache(1 << 20);
  cache.insert("big", entry(plain(300 * 1024)));  // over a quarter of the bound
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  // Small as bytes, too big once parsed: dropped when its tree is built.
  auto parts = entry(many_parts(2000));
  cache.insert("parts", parts);
  EXPECT_EQ(cache.entries(), 1u);
  ASSERT_NE(parts->tree(), nullptr);
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(parts->tree()->children.size(), 2000u);
}

TEST(MessageCache, ShrinkAndDisable) {
  MessageCache cache(8 << 20);
  for (int i = 0; i < 50; ++i) cache.insert("m" + std::to_string(i), entry(plain(50000)));
  EXPECT_EQ(cache.entries(), 50u);
  cache.set_max_bytes(1 << 20);
  EXPECT_LE(cache.bytes(), std::size_t{1} << 20);
  EXPECT_NE(cache.find("m49"), nullptr);
  cache.set_max_bytes(0);
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  cache.insert("x", entry(plain(10)));
  EXPECT_EQ(cache.entries(), 0u);
}

TEST(MessageCache, UnusedEntriesExpire) {
  using namespace std::chrono_literals;
  const MessageCache::Clock::time_point t0{};
  MessageCache cache(8 << 20);
  cache.insert("a", entry(plain(1000)), t0);
  cache.insert("b", entry(plain(1000)), t0 + 1min);
  cache.insert("c", entry(plain(1000)), t0 + 2min);
  EXPECT_NE(cache.find("a", t0 + 3min), nullptr);  // used again: a is young
  EXPECT_EQ(cache.expire(t0 + 1min), 0u);          // nothing used before that
  EXPECT_EQ(cache.expire(t0 + 2min + 1s), 2u);     // b and c
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_NE(cache.find("a", t0 + 4min), nullptr);
  EXPECT_EQ(cache.expire(t0 + 1h), 1u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(MessageCache, EntriesOutliveTheCache) {
  auto a = entry(many_parts(3));
  {
    MessageCache cache(1 << 20);
    cache.insert("a", a);
  }
  ASSERT_NE(a->tree(), nullptr);  // parsed after the cache is gone: nothing to tell
  EXPECT_EQ(a->tree()->children.size(), 3u);
}

}  // namespace
}  // namespace parley::imapd
