// c-ares on an io_context.
//
// c-ares reports the sockets it wants watched through its socket-state
// callback; each becomes a Watch: a stream_descriptor that borrows the
// descriptor (released, never closed, when c-ares lets go of it) and keeps
// at most one read and one write wait outstanding. A ready socket is handed
// to ares_process_fd. One steady_timer follows ares_timeout() and lets
// c-ares retransmit or give up. Asio's epoll reactor re-arms the descriptor
// each time a wait is queued, so readiness left over after a partial read
// (a TCP answer's length before its body) is reported again.
//
// A lookup is a Batch of queries started together; each c-ares callback
// stores its answer and the last one wakes the coroutine through the
// Batch's timer (the pattern of ipc::Client). ares_destroy() calls every
// outstanding callback with ARES_EDESTRUCTION, so a destroyed Resolver
// leaves no coroutine waiting; asynchronous handlers hold only a weak_ptr
// to the Impl.
#include "dns/resolver.h"

#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <unordered_map>

#include "core/ascii.h"

namespace parley::dns {

namespace {

constexpr int kClassIn = 1;  // RFC 1035 3.2.4
constexpr int kTypeA = 1;    // RFC 1035 3.2.2
constexpr int kTypeMx = 15;
constexpr int kTypeAaaa = 28;  // RFC 3596
constexpr int kTypeSrv = 33;   // RFC 2782
constexpr int kTypeNaptr = 35;  // RFC 3403
constexpr int kEdnsPayload = 1232;  // the DNS flag day 2020 figure: no IP fragmentation

struct Answer {
  int status = ARES_ECANCELLED;
  std::vector<unsigned char> data;
};

struct Batch {
  explicit Batch(asio::io_context& io) : wake(io) { wake.expires_at(asio::steady_timer::time_point::max()); }
  asio::steady_timer wake;  // cancelled when the last answer arrives
  std::vector<Answer> answers;
  std::size_t outstanding = 0;
};

struct Slot {
  std::shared_ptr<Batch> batch;
  std::size_t index;
};

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  std::unique_ptr<Slot> slot(static_cast<Slot*>(arg));
  Answer& answer = slot->batch->answers[slot->index];
  answer.status = status;
  if (abuf != nullptr && alen > 0) answer.data.assign(abuf, abuf + alen);
  if (--slot->batch->outstanding == 0) slot->batch->wake.cancel();
}

awaitable<void> wait_all(std::shared_ptr<Batch> batch) {
  while (batch->outstanding > 0) {
    boost::system::error_code ec;
    co_await batch->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

bool destroyed(int status) { return status == ARES_EDESTRUCTION || status == ARES_ECANCELLED; }

// Lower-cased, without a trailing dot; letters, digits, '-' and '_' in
// labels of 1..63 octets (RFC 1035 2.3.4).
Result<std::string> normalize(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxName) return fail(Errc::syntax, "bad domain name length");
  std::string out;
  out.reserve(name.size());
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return fail(Errc::syntax, "empty label");
      label = 0;
    } else {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return fail(Errc::syntax, "bad character in domain name");
      if (++label > 63) return fail(Errc::syntax, "label over 63 octets");
    }
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (label == 0) return fail(Errc::syntax, "empty label");
  return out;
}

Error lookup_error(int status, std::string_view what, std::string_view name) {
  std::string detail = std::string(what) + " " + std::string(name) + ": " + ares_strerror(status);
  if (destroyed(status)) return fail(Errc::cancelled, std::move(detail));
  if (status == ARES_ENOTFOUND) return fail(Errc::not_found, std::move(detail));
  return fail(Errc::unavailable, std::move(detail));
}

// The addresses in an A or AAAA answer, appended to `out`. Returns the
// answer's status: ARES_SUCCESS, ARES_ENODATA, or the lookup's error.
int parse_addresses(const Answer& answer, int type, std::vector<asio::ip::address>& out) {
  if (answer.status != ARES_SUCCESS) return answer.status;
  const int len = static_cast<int>(answer.data.size());
  if (type == kTypeA) {
    ares_addrttl ttls[kMaxAddresses];
    int n = static_cast<int>(kMaxAddresses);
    const int rc = ares_parse_a_reply(answer.data.data(), len, nullptr, ttls, &n);
    if (rc != ARES_SUCCESS) return rc == ARES_ENODATA ? ARES_ENODATA : ARES_EBADRESP;
    for (int i = 0; i < n; ++i) {
      out.emplace_back(asio::ip::address_v4(ntohl(ttls[i].ipaddr.s_addr)));
    }
  } else {
    ares_addr6ttl ttls[kMaxAddresses];
    int n = static_cast<int>(kMaxAddresses);
    const int rc = ares_parse_aaaa_reply(answer.data.data(), len, nullptr, ttls, &n);
    if (rc != ARES_SUCCESS) return rc == ARES_ENODATA ? ARES_ENODATA : ARES_EBADRESP;
    for (int i = 0; i < n; ++i) {
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &ttls[i].ip6addr, bytes.size());
      out.emplace_back(asio::ip::address_v6(bytes));
    }
  }
  return ARES_SUCCESS;
}

// A host's A and AAAA answers combined: addresses if either family has
// some; otherwise the most telling failure.
Result<std::vector<asio::ip::address>> combine(const Answer& a, const Answer& aaaa, std::string_view name) {
  std::vector<asio::ip::address> out;
  const int sa = parse_addresses(a, kTypeA, out);
  const int s6 = parse_addresses(aaaa, kTypeAaaa, out);
  if (!out.empty()) return out;
  for (int s : {sa, s6}) {
    if (destroyed(s)) return lookup_error(s, "address lookup", name);
  }
  for (int s : {sa, s6}) {
    if (s != ARES_SUCCESS && s != ARES_ENODATA && s != ARES_ENOTFOUND) return lookup_error(s, "address lookup", name);
  }
  if (sa == ARES_ENOTFOUND || s6 == ARES_ENOTFOUND) return lookup_error(ARES_ENOTFOUND, "address lookup", name);
  return fail(Errc::not_found, "no address for " + std::string(name));
}

std::string server_list(const std::vector<std::string>& servers) {
  std::string csv;
  for (const std::string& s : servers) {
    if (!csv.empty()) csv += ',';
    csv += s;
  }
  return csv;
}

// The records of an SRV answer. ARES_ENODATA (no records) and lookup
// errors come back as the status; a malformed answer as ARES_EBADRESP.
int parse_srv(const Answer& answer, std::vector<Srv>& out) {
  if (answer.status != ARES_SUCCESS) return answer.status;
  ares_srv_reply* records = nullptr;
  const int rc = ares_parse_srv_reply(answer.data.data(), static_cast<int>(answer.data.size()), &records);
  if (rc != ARES_SUCCESS) return rc == ARES_ENODATA ? ARES_ENODATA : ARES_EBADRESP;
  bool any = false;
  for (const ares_srv_reply* r = records; r != nullptr && out.size() < kMaxRecords; r = r->next) {
    any = true;
    std::string_view target = r->host != nullptr ? r->host : "";
    std::string name = ".";
    if (!target.empty() && target != ".") {
      Result<std::string> host = normalize(target);
      if (!host) continue;  // not a host name: no way to reach it
      name = std::move(host.value());
    }
    out.push_back(Srv{.priority = r->priority, .weight = r->weight, .port = r->port, .target = std::move(name)});
  }
  ares_free_data(records);
  if (!any) return ARES_ENODATA;
  return out.empty() ? ARES_EBADRESP : ARES_SUCCESS;
}

int parse_naptr(const Answer& answer, std::vector<Naptr>& out) {
  if (answer.status != ARES_SUCCESS) return answer.status;
  ares_naptr_reply* records = nullptr;
  const int rc = ares_parse_naptr_reply(answer.data.data(), static_cast<int>(answer.data.size()), &records);
  if (rc != ARES_SUCCESS) return rc == ARES_ENODATA ? ARES_ENODATA : ARES_EBADRESP;
  auto text = [](const unsigned char* p) { return p != nullptr ? std::string(reinterpret_cast<const char*>(p)) : std::string(); };
  bool any = false;
  for (const ares_naptr_reply* r = records; r != nullptr && out.size() < kMaxRecords; r = r->next) {
    any = true;
    std::string_view replacement = r->replacement != nullptr ? r->replacement : "";
    std::string name = ".";
    if (!replacement.empty() && replacement != ".") {
      Result<std::string> host = normalize(replacement);
      if (!host) continue;
      name = std::move(host.value());
    }
    out.push_back(Naptr{.order = r->order,
                        .preference = r->preference,
                        .flags = ascii_lower(text(r->flags)),
                        .service = text(r->service),
                        .regexp = text(r->regexp),
                        .replacement = std::move(name)});
  }
  ares_free_data(records);
  if (!any) return ARES_ENODATA;
  return out.empty() ? ARES_EBADRESP : ARES_SUCCESS;
}

}  // namespace

struct Resolver::Impl : std::enable_shared_from_this<Impl> {
  struct Watch {
    Watch(asio::io_context& io, std::uint64_t id) : sd(io), id(id) {}
    asio::posix::stream_descriptor sd;
    std::uint64_t id;  // tells a reused descriptor number from the old one
    bool want_read = false;
    bool want_write = false;
    bool reading = false;  // a wait is queued
    bool writing = false;
  };

  Impl(asio::io_context& io, const Options& options);
  ~Impl();

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  void arm(int fd, Watch& w);
  void on_ready(int fd, std::uint64_t id, bool read, const boost::system::error_code& ec);
  void rearm_timer();
  std::shared_ptr<Batch> start(const std::vector<std::pair<std::string, int>>& queries);
  static awaitable<Result<Answer>> query(std::weak_ptr<Impl> weak, std::string name, int type);
  // One query of `type` for `name`, its records read by `parse`; `what`
  // ("SRV") names them in errors.
  template <class Record>
  static awaitable<Result<std::vector<Record>>> records(std::weak_ptr<Impl> weak, std::string name, int type,
                                                      int (*parse)(const Answer&, std::vector<Record>&),
                                                      std::string_view what);

  asio::io_context& io_;
  ares_channel channel_ = nullptr;
  Status status_;
  asio::steady_timer timer_;
  std::unordered_map<int, std::unique_ptr<Watch>> watches_;
  std::uint64_t next_watch_id_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

Resolver::Impl::Impl(asio::io_context& io, const Options& options) : io_(io), timer_(io) {
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) {
    status_ = fail(Errc::internal, std::string("ares_library_init: ") + ares_strerror(library));
    return;
  }
  ares_options opts{};
  opts.flags = ARES_FLAG_EDNS;
  opts.ednspsz = kEdnsPayload;
  opts.timeout = static_cast<int>(std::max<std::int64_t>(1, options.timeout.count()));
  opts.tries = std::max(1, options.tries);
  opts.sock_state_cb = &Impl::on_socket_state;
  opts.sock_state_cb_data = this;
  const int mask = ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
  if (int rc = ares_init_options(&channel_, &opts, mask); rc != ARES_SUCCESS) {
    channel_ = nullptr;
    status_ = fail(rc == ARES_ENOMEM ? Errc::internal : Errc::io, std::string("ares_init_options: ") + ares_strerror(rc));
    return;
  }
  if (!options.servers.empty()) {
    const std::string csv = server_list(options.servers);
    if (int rc = ares_set_servers_ports_csv(channel_, csv.c_str()); rc != ARES_SUCCESS) {
      status_ = fail(Errc::invalid, "dns servers \"" + csv + "\": " + ares_strerror(rc));
    }
  }
}

Resolver::Impl::~Impl() {
  // Completes every query (ARES_EDESTRUCTION) and reports every socket
  // closed, which releases the watches while the members still exist.
  if (channel_ != nullptr) ares_destroy(channel_);
  channel_ = nullptr;
  for (auto& [fd, w] : watches_) w->sd.release();
}

void Resolver::Impl::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  Impl& self = *static_cast<Impl*>(data);
  auto it = self.watches_.find(fd);
  if (!readable && !writable) {
    // c-ares closes the descriptor next: stop watching without closing it.
    if (it != self.watches_.end()) {
      it->second->sd.release();
      self.watches_.erase(it);
    }
    return;
  }
  if (it == self.watches_.end()) {
    auto w = std::make_unique<Watch>(self.io_, ++self.next_watch_id_);
    boost::system::error_code ec;
    w->sd.assign(fd, ec);
    // Not watchable: the query then ends at its timeout.
    if (ec) return;
    it = self.watches_.emplace(fd, std::move(w)).first;
  }
  it->second->want_read = readable != 0;
  it->second->want_write = writable != 0;
  self.arm(fd, *it->second);
}

void Resolver::Impl::arm(int fd, Watch& w) {
  std::weak_ptr<Impl> weak = weak_from_this();
  if (w.want_read && !w.reading) {
    w.reading = true;
    w.sd.async_wait(asio::posix::stream_descriptor::wait_read,
                    [weak, fd, id = w.id](const boost::system::error_code& ec) {
                      if (auto self = weak.lock()) self->on_ready(fd, id, true, ec);
                    });
  }
  if (w.want_write && !w.writing) {
    w.writing = true;
    w.sd.async_wait(asio::posix::stream_descriptor::wait_write,
                    [weak, fd, id = w.id](const boost::system::error_code& ec) {
                      if (auto self = weak.lock()) self->on_ready(fd, id, false, ec);
                    });
  }
}

void Resolver::Impl::on_ready(int fd, std::uint64_t id, bool read, const boost::system::error_code& ec) {
  auto it = watches_.find(fd);
  if (it == watches_.end() || it->second->id != id) return;  // released (the wait was aborted)
  Watch& w = *it->second;
  (read ? w.reading : w.writing) = false;
  if (ec == asio::error::operation_aborted) return;
  if (!(read ? w.want_read : w.want_write)) return;
  // On a wait error c-ares finds the socket's error itself; stop waiting on
  // it so a broken descriptor cannot spin (the query then times out).
  if (ec) (read ? w.want_read : w.want_write) = false;
  ares_process_fd(channel_, read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
  // c-ares may have closed the socket, or opened another with its number.
  it = watches_.find(fd);
  if (it != watches_.end() && it->second->id == id) arm(fd, *it->second);
  rearm_timer();
}

void Resolver::Impl::rearm_timer() {
  timeval buf{};
  const timeval* tv = ares_timeout(channel_, nullptr, &buf);
  if (tv == nullptr) {
    timer_.cancel();
    return;
  }
  // ares_timeout rounds down to the millisecond: wait one more so the
  // deadline has passed when c-ares looks.
  const auto delay = std::chrono::seconds(tv->tv_sec) + std::chrono::microseconds(tv->tv_usec) +
                     std::chrono::milliseconds(1);
  timer_.expires_after(delay);
  std::weak_ptr<Impl> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self) return;
    ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->rearm_timer();
  });
}

std::shared_ptr<Batch> Resolver::Impl::start(const std::vector<std::pair<std::string, int>>& queries) {
  auto batch = std::make_shared<Batch>(io_);
  batch->answers.resize(queries.size());
  batch->outstanding = queries.size();
  for (std::size_t i = 0; i < queries.size(); ++i) {
    auto* slot = new Slot{batch, i};
    // The callback may run inside ares_query (a bad name, no servers).
    ares_query(channel_, queries[i].first.c_str(), kClassIn, queries[i].second, &on_answer, slot);
  }
  rearm_timer();
  return batch;
}

// One query of `type` for the normalized `name`; the Answer whatever its
// status, or the error that kept the query from being asked.
awaitable<Result<Answer>> Resolver::Impl::query(std::weak_ptr<Impl> weak, std::string name, int type) {
  std::shared_ptr<Batch> batch;
  {
    std::shared_ptr<Impl> self = weak.lock();
    if (!self) co_return fail(Errc::cancelled, "resolver destroyed");
    if (!self->status_) co_return self->status_.error();
    std::vector<std::pair<std::string, int>> queries{{name, type}};
    batch = self->start(queries);
  }
  co_await wait_all(batch);
  co_return std::move(batch->answers[0]);
}

Resolver::Resolver(asio::io_context& io, Options options) : impl_(std::make_shared<Impl>(io, options)) {}

Resolver::~Resolver() = default;

const Status& Resolver::status() const { return impl_->status_; }

awaitable<Result<std::vector<asio::ip::address>>> Resolver::addresses(std::string host) {
  std::weak_ptr<Impl> weak = impl_;
  Result<std::string> name = normalize(host);
  if (!name) co_return name.error();
  std::shared_ptr<Batch> batch;
  {
    std::shared_ptr<Impl> self = weak.lock();
    if (!self) co_return fail(Errc::cancelled, "resolver destroyed");
    if (!self->status_) co_return self->status_.error();
    std::vector<std::pair<std::string, int>> queries{{*name, kTypeA}, {*name, kTypeAaaa}};
    batch = self->start(queries);
  }
  co_await wait_all(batch);
  co_return combine(batch->answers[0], batch->answers[1], *name);
}

awaitable<Result<Route>> Resolver::route(std::string domain) {
  std::weak_ptr<Impl> weak = impl_;
  Result<std::string> name = normalize(domain);
  if (!name) co_return name.error();
  std::shared_ptr<Batch> mx_batch;
  {
    std::shared_ptr<Impl> self = weak.lock();
    if (!self) co_return fail(Errc::cancelled, "resolver destroyed");
    if (!self->status_) co_return self->status_.error();
    std::vector<std::pair<std::string, int>> queries{{*name, kTypeMx}};
    mx_batch = self->start(queries);
  }
  co_await wait_all(mx_batch);
  const Answer& mx = mx_batch->answers[0];

  Route route;
  std::vector<Host> hosts;
  int status = mx.status;
  if (status == ARES_SUCCESS) {
    ares_mx_reply* records = nullptr;
    status = ares_parse_mx_reply(mx.data.data(), static_cast<int>(mx.data.size()), &records);
    if (status == ARES_SUCCESS) {
      bool all_root = true;
      for (const ares_mx_reply* r = records; r != nullptr; r = r->next) {
        std::string_view exchange = r->host != nullptr ? r->host : "";
        if (exchange.empty() || exchange == ".") continue;
        all_root = false;
        Result<std::string> host = normalize(exchange);
        if (!host) continue;  // not a host name: no way to reach it
        hosts.push_back(Host{.name = std::move(host.value()), .preference = r->priority, .addresses = {}});
      }
      ares_free_data(records);
      if (all_root) {
        route.null_mx = true;
        co_return route;
      }
      if (hosts.empty()) co_return fail(Errc::unavailable, "no usable MX host for " + *name);
    } else if (status != ARES_ENODATA) {
      status = ARES_EBADRESP;
    }
  }
  if (status == ARES_ENODATA) {
    route.implicit = true;
    hosts.push_back(Host{.name = *name, .preference = 0, .addresses = {}});
  } else if (status != ARES_SUCCESS) {
    co_return lookup_error(status, "MX lookup", *name);
  }

  // RFC 5321 5.1: lowest preference first, equal ones in random order.
  std::shared_ptr<Batch> address_batch;
  {
    std::shared_ptr<Impl> self = weak.lock();
    if (!self) co_return fail(Errc::cancelled, "resolver destroyed");
    std::shuffle(hosts.begin(), hosts.end(), self->rng_);
    std::stable_sort(hosts.begin(), hosts.end(),
                     [](const Host& a, const Host& b) { return a.preference < b.preference; });
    if (hosts.size() > kMaxMxHosts) hosts.resize(kMaxMxHosts);
    std::vector<std::pair<std::string, int>> queries;
    for (const Host& h : hosts) {
      queries.emplace_back(h.name, kTypeA);
      queries.emplace_back(h.name, kTypeAaaa);
    }
    address_batch = self->start(queries);
  }
  co_await wait_all(address_batch);

  std::optional<Error> first_error;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    Result<std::vector<asio::ip::address>> found =
        combine(address_batch->answers[2 * i], address_batch->answers[2 * i + 1], hosts[i].name);
    if (found) {
      hosts[i].addresses = std::move(found.value());
      route.hosts.push_back(std::move(hosts[i]));
    } else if (!first_error || found.code() == Errc::cancelled) {
      first_error = found.error();
    }
  }
  if (route.hosts.empty()) {
    if (first_error->code == Errc::cancelled) co_return *first_error;
    if (route.implicit) co_return *first_error;  // the domain's own lookup: not_found is permanent
    co_return fail(Errc::unavailable, "no MX host of " + *name + " has an address (" + first_error->detail + ")");
  }
  co_return route;
}

template <class Record>
awaitable<Result<std::vector<Record>>> Resolver::Impl::records(std::weak_ptr<Impl> weak, std::string name, int type,
                                                              int (*parse)(const Answer&, std::vector<Record>&),
                                                              std::string_view what) {
  Result<std::string> owner = normalize(name);
  if (!owner) co_return owner.error();
  std::string asked = *owner;
  Result<Answer> answer = co_await query(weak, asked, type);
  if (!answer) co_return answer.error();
  std::vector<Record> out;
  const int status = parse(*answer, out);
  if (status == ARES_ENODATA) co_return fail(Errc::not_found, "no " + std::string(what) + " records for " + *owner);
  const std::string lookup = std::string(what) + " lookup";
  if (status != ARES_SUCCESS) co_return lookup_error(status, lookup, *owner);
  co_return out;
}

awaitable<Result<std::vector<Srv>>> Resolver::srv(std::string name) {
  std::weak_ptr<Impl> weak = impl_;
  co_return co_await Impl::records<Srv>(weak, std::move(name), kTypeSrv, &parse_srv, "SRV");
}

awaitable<Result<std::vector<Naptr>>> Resolver::naptr(std::string domain) {
  std::weak_ptr<Impl> weak = impl_;
  co_return co_await Impl::records<Naptr>(weak, std::move(domain), kTypeNaptr, &parse_naptr, "NAPTR");
}

}  // namespace parley::dns
