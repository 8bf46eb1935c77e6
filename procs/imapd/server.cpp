#include "server.h"

#include <malloc.h>

#include "imap_session.h"
#include "ipc/contracts/events.h"
#include "log/log.h"
#include "pop3.h"
#include "schema/store.pb.h"

namespace parley::imapd {


namespace {
const std::vector<std::string> kListeners = {"imap", "imaps", "pop3", "pop3s"};
// How often the status line is refreshed (and sent to parleyd if it changed),
// and how often at most its log event is written.
constexpr auto kReportEvery = std::chrono::seconds(5);
constexpr auto kLogEvery = std::chrono::seconds(60);
// A cached message nobody read for this long is dropped, so that memory
// comes back once load has gone (checked every kReportEvery).
constexpr auto kCacheIdle = std::chrono::minutes(5);
// Free heap glibc keeps past this is given back once load has dropped, and
// at most once every kTrimEvery otherwise (see give_back_memory).
constexpr std::size_t kGiveBackAbove = 8u << 20;
constexpr auto kTrimEvery = std::chrono::minutes(5);
// Allocations from this size (message bodies, FETCH output, literals) get
// mappings of their own, returned to the system when freed. glibc's default
// starts here too but rises to the largest block freed so far (up to 32
// MiB), after which such blocks come from the heap and fragment it; setting
// it keeps it fixed.
constexpr int kMmapThreshold = 128 * 1024;

// --- heap footprint estimates (libstdc++, glibc malloc) ---
// Each allocation costs its size rounded up to 16 plus an 8-byte header.
std::size_t alloc(std::size_t n) { return n == 0 ? 0 : ((n + 8 + 15) & ~std::size_t{15}); }
// A std::string keeps up to 15 characters inside itself.
std::size_t heap(const std::string& s) { return s.capacity() > 15 ? alloc(s.capacity() + 1) : 0; }
std::size_t heap(const std::optional<std::string>& s) { return s ? heap(*s) : 0; }
template <class T>
std::size_t heap_array(const std::vector<T>& v) { return alloc(v.capacity() * sizeof(T)); }

std::size_t heap(const mime::Param& p) { return heap(p.name) + heap(p.value); }
std::size_t heap(const mime::Address& a) { return heap(a.name) + heap(a.name_utf8) + heap(a.adl) + heap(a.mailbox) + heap(a.host); }

std::size_t heap(const mime::Part& p);  // below: parts hold vectors of parts

template <class T>
std::size_t heap(const std::vector<T>& v) {
  std::size_t n = heap_array(v);
  for (const auto& x : v) n += heap(x);
  return n;
}

std::size_t heap(const mime::Envelope& e) {
  return heap(e.date) + heap(e.subject) + heap(e.subject_utf8) + heap(e.from) + heap(e.sender) + heap(e.reply_to) +
         heap(e.to) + heap(e.cc) + heap(e.bcc) + heap(e.in_reply_to) + heap(e.message_id);
}

// A part's heap, its own object excluded (the parent's vector or the
// entry holds it).
std::size_t heap(const mime::Part& p) {
  std::size_t n = heap(p.section) + heap(p.type) + heap(p.subtype) + heap(p.params) + heap(p.id) +
                  heap(p.description) + heap(p.md5) + heap(p.location) + heap(p.encoding) + heap(p.disposition) +
                  heap(p.disposition_params) + heap(p.language) + heap(p.children);
  if (p.envelope) n += heap(*p.envelope);
  return n;
}

std::string mib(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(bytes) / (1u << 20));
  return buf;
}
}  // namespace

const mime::Part* CachedMessage::tree() {
  if (!part_ && !parse_failed_) {
    auto parsed = mime::parse(raw);
    if (parsed) part_ = std::move(parsed.value());
    else parse_failed_ = true;
    if (cache_) cache_->recount(*this);  // may evict this entry; the caller holds it
  }
  return part_ ? &*part_ : nullptr;
}

std::size_t CachedMessage::footprint() const {
  // make_shared: the object and its control block in one allocation.
  return alloc(sizeof(CachedMessage) + 16) + heap(raw) + (part_ ? heap(*part_) : 0);
}

MessageCache::~MessageCache() {
  for (auto& e : lru_) e.message->cache_ = nullptr;
}

std::size_t MessageCache::overhead(const std::string& body_id) {
  // The list node (key, pointer, time), the index node (key, iterator,
  // hash, link) and its bucket; the key is held twice.
  constexpr std::size_t kListNode = sizeof(Entry) + 2 * sizeof(void*);
  constexpr std::size_t kIndexNode = sizeof(std::string) + sizeof(std::list<Entry>::iterator) + 2 * sizeof(void*);
  return alloc(kListNode) + alloc(kIndexNode) + 2 * heap(body_id) + sizeof(void*);
}

std::shared_ptr<CachedMessage> MessageCache::find(const std::string& body_id, Clock::time_point now) {
  auto it = index_.find(body_id);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  it->second->used = now;
  return it->second->message;
}

void MessageCache::insert(const std::string& body_id, const std::shared_ptr<CachedMessage>& entry,
                          Clock::time_point now) {
  if (entry->cache_ || index_.contains(body_id)) return;
  const std::size_t footprint = entry->footprint();
  if (overhead(body_id) + footprint > max_bytes_ / 4) return;  // too big to keep
  lru_.push_front(Entry{body_id, entry, now});
  index_[body_id] = lru_.begin();
  entry->cache_ = this;
  entry->key_ = &lru_.front().id;
  entry->counted_ = footprint;
  bytes_ += overhead(body_id) + footprint;
  trim();
}

std::size_t MessageCache::expire(Clock::time_point cutoff) {
  std::size_t n = 0;
  for (; !lru_.empty() && lru_.back().used < cutoff; ++n) drop(std::prev(lru_.end()));
  return n;
}

void MessageCache::recount(CachedMessage& m) {
  const std::size_t now = m.footprint();
  bytes_ = bytes_ - m.counted_ + now;
  m.counted_ = now;
  auto it = index_.find(*m.key_);
  if (it != index_.end() && overhead(*m.key_) + now > max_bytes_ / 4) drop(it->second);
  trim();
}

void MessageCache::drop(std::list<Entry>::iterator it) {
  CachedMessage& m = *it->message;
  bytes_ -= overhead(it->id) + m.counted_;
  m.cache_ = nullptr;
  m.key_ = nullptr;
  index_.erase(it->id);
  lru_.erase(it);
}

void MessageCache::trim() {
  while (bytes_ > max_bytes_ && !lru_.empty()) drop(std::prev(lru_.end()));
}

void MessageCache::set_max_bytes(std::size_t max_bytes) {
  max_bytes_ = max_bytes;
  trim();
}

Server::Server(daemon::Context& ctx, Settings settings, store::Store st, std::vector<std::string> listeners)
    : Frontend(ctx, "imapd", &load_settings, std::move(settings), std::move(listeners)),
      store_(std::move(st)),
      directory_(ctx.io(), ctx.endpoint("directory", "directory")),
      changes_(ctx.io(), ctx.endpoint("events")),
      cache_(this->settings()->message_cache_bytes),
      report_timer_(ctx.io()) {}

Server::~Server() = default;

Status Server::start() {
  auto listening = listen([this](std::unique_ptr<net::Stream> stream, const std::string& listener) {
    if (listener == "imap" || listener == "imaps") {
      spawn<ImapSession>(*this, std::move(stream), listener, "imap");
    } else {
      spawn<Pop3Session>(*this, std::move(stream), listener, "pop");
    }
  });
  if (!listening) return listening;
  // Deliveries wake IDLE sessions (local-delivery publishes kMailboxChanged).
  events_ = std::make_unique<ipc::Subscriber>(ctx_.io(), ctx_.endpoint("events", "local-delivery"));
  events_->subscribe(contracts::kMailboxChanged,
                     [this](std::string_view account, schema::MailboxEvent event) { on_event(account, event); });
  if (auto s = events_->start(); !s) return s;
  if (auto s = changes_.start(); !s) return s;
  asio::co_spawn(ctx_.io(), report(), asio::detached);
  return {};
}

void Server::on_event(std::string_view account, const schema::MailboxEvent& event) {
  if (account != event.account()) {
    log::warn("imap.event.malformed", "a malformed mailbox event", {{"key", std::string(account.substr(0, 300))}});
    return;
  }
  // Not published again: local-delivery's subscribers have heard it.
  wake(event.account(), event.mailbox_id());
}

void Server::changed(std::string_view owner, std::uint64_t mailbox_id) {
  wake(owner, mailbox_id);
  publish(owner, mailbox_id);
}

void Server::wake(std::string_view owner, std::uint64_t mailbox_id) {
  // Copied: a woken session may finish and leave while we walk.
  std::vector<ImapSession*> all(imap_sessions_.begin(), imap_sessions_.end());
  for (ImapSession* s : all) s->changed(owner, mailbox_id);
}

// The mailbox's state after the change, read in a snapshot of its own (one
// record: the store keeps the counts in the mailbox record). A mailbox that
// is gone (deleted) has nothing to announce.
void Server::publish(std::string_view owner, std::uint64_t mailbox_id) {
  auto snapshot = store_.snapshot();
  if (!snapshot) return;
  auto box = snapshot->mailbox_by_id(owner, mailbox_id);
  if (!box) return;
  schema::MailboxEvent event;
  event.set_account(std::string(owner));
  event.set_mailbox(box->name);
  event.set_mailbox_id(box->id);
  event.set_modseq(box->highestmodseq);
  event.set_messages(box->messages);
  event.set_unseen(box->unseen);
  changes_.publish(contracts::kMailboxChanged, owner, event);
}

Result<std::shared_ptr<CachedMessage>> Server::message(const std::string& body_id) {
  if (auto hit = cache_.find(body_id)) return hit;
  auto raw = store_.read_body(body_id);
  if (!raw) return raw.error();
  auto entry = std::make_shared<CachedMessage>();
  entry->raw = std::move(raw.value());
  cache_.insert(body_id, entry);
  return entry;
}

// --- status line and memory ---

std::string Server::status_text() const {
  return "sessions " + std::to_string(front().sessions()) + ", message cache " + mib(cache_.bytes()) + "/" +
         mib(cache_.max_bytes()) + " MiB in " + std::to_string(cache_.entries()) + " messages";
}

awaitable<void> Server::report() {
  while (!front().draining()) {
    cache_.expire(MessageCache::Clock::now() - kCacheIdle);
    give_back_memory();
    std::string text = status_text();
    if (text != status_) {
      status_ = text;
      ctx_.set_status(text);
    }
    const auto now = std::chrono::steady_clock::now();
    if (status_ != logged_ && now - logged_at_ >= kLogEvery) {
      logged_ = status_;
      logged_at_ = now;
      const struct mallinfo2 heap = ::mallinfo2();
      log::info("imapd.memory.report",
                status_ + "; cache hits " + std::to_string(cache_.hits()) + ", misses " + std::to_string(cache_.misses()) +
                    "; heap " + mib(heap.uordblks + heap.hblkhd) + " MiB in use, " + mib(heap.fordblks) + " MiB free",
                {{"count", front().sessions()}, {"bytes", cache_.bytes()}});
    }
    report_timer_.expires_after(kReportEvery);
    boost::system::error_code ec;
    co_await report_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// glibc keeps freed memory in its arenas for reuse, and after a burst of
// sessions most of it stays resident, scattered between chunks still in
// use. When load has dropped (half the sessions of the peak gone, or the
// cache 8 MiB smaller), or every kTrimEvery otherwise, and much of the heap
// is free, malloc_trim returns the free pages to the system (it walks the
// free chunks: ~100 ms for 40 MiB of scattered free memory on a busy machine).
void Server::give_back_memory() {
  const auto now = std::chrono::steady_clock::now();
  peak_sessions_ = std::max(peak_sessions_, front().sessions());
  peak_cache_bytes_ = std::max(peak_cache_bytes_, cache_.bytes());
  const bool fewer_sessions = peak_sessions_ >= 8 && front().sessions() * 2 < peak_sessions_;
  const bool smaller_cache = cache_.bytes() + kGiveBackAbove < peak_cache_bytes_;
  if (!fewer_sessions && !smaller_cache && now - trimmed_at_ < kTrimEvery) return;
  const struct mallinfo2 heap = ::mallinfo2();
  if (heap.fordblks < kGiveBackAbove) return;
  ::malloc_trim(0);
  trimmed_at_ = std::chrono::steady_clock::now();
  peak_sessions_ = front().sessions();
  peak_cache_bytes_ = cache_.bytes();
  log::debug("imapd.memory.trimmed", "free heap given back to the system",
             {{"bytes", heap.fordblks},
              {"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(trimmed_at_ - now).count()}});
}

awaitable<void> Server::drain() {
  report_timer_.cancel();
  co_await Frontend::drain();
}

void Server::reloaded() { cache_.set_max_bytes(settings()->message_cache_bytes); }

Result<std::unique_ptr<daemon::Service>> start(daemon::Context& ctx) {
  const auto names = front::Server::present(ctx, kListeners);
  auto settings = load_settings(ctx.config(), names);
  if (!settings) return settings.error();
  ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  auto st = store::Store::open(ctx.shared_dir("store") + "/index");
  if (!st) return fail(st.code(), "mail store: " + st.error().detail);
  return daemon::launch<Server>(ctx, std::move(settings.value()), std::move(st.value()), names);
}

}  // namespace parley::imapd
