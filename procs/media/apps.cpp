#include "apps.h"

#include "core/ascii.h"
#include "log/log.h"

namespace parley::media {

using asio::ip::udp;

namespace {

constexpr auto kTick = std::chrono::milliseconds(20);
constexpr std::string_view kVoicemail = "voicemail";
constexpr std::size_t kMaxCallKey = 512;

// The first format of the offer this side speaks (G.711, at 8 kHz),
// in the caller's order.
std::optional<std::pair<audio::Codec, std::uint8_t>> choose(const schema::AppStart& request) {
  for (const auto& f : request.formats()) {
    if (f.payload_type() > 127) continue;
    const auto pt = static_cast<std::uint8_t>(f.payload_type());
    const bool named = !f.name().empty();
    const bool rate_ok = f.clock_rate() == 8000 || (!named && f.clock_rate() == 0);
    if (!rate_ok) continue;
    if ((named && ascii_iequal(f.name(), "PCMU")) || (!named && pt == 0)) return std::pair{audio::Codec::pcmu, pt};
    if ((named && ascii_iequal(f.name(), "PCMA")) || (!named && pt == 8)) return std::pair{audio::Codec::pcma, pt};
  }
  return std::nullopt;
}

std::uint8_t telephone_event(const schema::AppStart& request) {
  for (const auto& f : request.formats()) {
    if (ascii_iequal(f.name(), "telephone-event") && f.clock_rate() == 8000 && f.payload_type() >= 96 &&
        f.payload_type() <= 127) {
      return static_cast<std::uint8_t>(f.payload_type());
    }
  }
  return 0;
}

std::optional<udp::endpoint> peer_of(const schema::RelayStream& s) {
  if (s.rtp_port() == 0 || s.rtp_port() > 65535) return std::nullopt;
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(s.address(), ec);
  if (ec || ip.is_unspecified() || ip.is_multicast()) return std::nullopt;
  return udp::endpoint(ip, static_cast<std::uint16_t>(s.rtp_port()));
}

// A prompt from `dir`; empty (and logged) when it cannot be read. An
// `optional` one that is not there is not worth a warning.
std::vector<std::int16_t> load_prompt(const std::string& dir, std::string_view name, bool optional = false) {
  const std::string path = dir + "/" + std::string(name) + ".wav";
  auto samples = audio::load_wav(path, kRate);
  if (!samples && optional && samples.code() == Errc::not_found) return {};
  if (!samples) {
    log::warn("media.prompt.unreadable", samples.error().detail, {{"path", path}});
    return {};
  }
  return std::move(samples.value());
}

}  // namespace

struct Apps::Call {
  std::string key;
  std::string sid;
  schema::AppStart request;
  std::unique_ptr<Endpoint> endpoint;
  std::unique_ptr<Voicemail> voicemail;
  std::chrono::steady_clock::time_point started;
};

Apps::Apps(asio::io_context& io, RelaySettings relay, AppSettings settings, Hooks hooks)
    : io_(io), relay_(std::move(relay)), settings_(std::move(settings)), hooks_(std::move(hooks)), clock_(io) {
  prompts_ = std::make_shared<const Prompts>();
}

Apps::~Apps() { clock_.cancel(); }

void Apps::load_prompts() {
  auto p = std::make_shared<Prompts>();
  p->greeting = load_prompt(settings_.prompts, "voicemail-greeting");
  p->tone = load_prompt(settings_.prompts, "voicemail-tone", true);
  if (p->tone.empty()) p->tone = audio::tone(kRate, 1000, std::chrono::milliseconds(500));
  p->goodbye = load_prompt(settings_.prompts, "voicemail-goodbye");
  prompts_ = std::move(p);
}

void Apps::set_settings(RelaySettings relay, AppSettings settings) {
  relay_ = std::move(relay);
  settings_ = std::move(settings);
  load_prompts();  // the files may have changed, not only where they are
}

Result<schema::AppStartReply> Apps::start(const schema::AppStart& request) {
  if (request.call().empty() || request.call().size() > kMaxCallKey) return fail(Errc::invalid, "bad call key");
  if (request.application() != kVoicemail) return fail(Errc::invalid, "no such application");
  auto codec = choose(request);
  if (!codec) return fail(Errc::invalid, "no codec in common (PCMU or PCMA at 8000 Hz)");
  auto it = calls_.find(request.call());
  if (it == calls_.end()) {
    const std::uint8_t events = telephone_event(request);
    if (calls_.size() >= relay_.max_calls) return fail(Errc::limit, "too many calls");
    EndpointOptions options{.address = relay_.address, .port_min = relay_.port_min, .port_max = relay_.port_max,
                            .codec = codec->first, .payload_type = codec->second, .telephone_event = events};
    auto endpoint = Endpoint::open(io_, options);
    if (!endpoint) return endpoint.error();
    auto call = std::make_unique<Call>();
    call->key = request.call();
    call->sid = request.sid();
    call->request = request;
    call->endpoint = std::move(endpoint.value());
    call->voicemail = std::make_unique<Voicemail>(prompts_, settings_.voicemail_max);
    call->started = std::chrono::steady_clock::now();
    it = calls_.emplace(request.call(), std::move(call)).first;
    log::info("media.app.started", "answering", {{"sid", request.sid()}, {"call_id", request.call().substr(0, 128)},
                                                 {"account", request.account()},
                                                 {"value", audio::codec_name(codec->first)}});
  }
  Call& call = *it->second;
  call.endpoint->set_peer(peer_of(request.stream()));
  schema::AppStartReply reply;
  reply.set_address(relay_.advertised);
  reply.set_rtp_port(call.endpoint->rtp_port());
  reply.set_rtcp_port(call.endpoint->rtp_port() + 1u);
  // Again for a call (a re-INVITE): the codec chosen at its start stays.
  const EndpointOptions& chosen = call.endpoint->options();
  reply.mutable_format()->set_payload_type(chosen.payload_type);
  reply.mutable_format()->set_name(std::string(audio::codec_name(chosen.codec)));
  reply.mutable_format()->set_clock_rate(kRate);
  reply.set_telephone_event(chosen.telephone_event);
  if (!ticking_) {
    ticking_ = true;
    next_tick_ = std::chrono::steady_clock::now() + kTick;
    clock_.expires_at(next_tick_);
    clock_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tick();
    });
  }
  return reply;
}

bool Apps::stop(const std::string& call) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return false;
  it->second->voicemail->hang_up();
  end(it, "hung up", false);
  return true;
}

bool Apps::digits(const std::string& call, std::string_view digits) {
  auto it = calls_.find(call);
  if (it == calls_.end()) return false;
  for (char d : digits.substr(0, 16)) it->second->voicemail->digit(d);
  return true;
}

void Apps::end_all(const std::string& reason) {
  while (!calls_.empty()) {
    auto it = calls_.begin();
    it->second->voicemail->hang_up();
    end(it, reason, true);
  }
}

void Apps::tick() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = calls_.begin(); it != calls_.end();) {
    auto next = std::next(it);
    Call& call = *it->second;
    Voicemail& vm = *call.voicemail;
    const auto frame = vm.play();
    const auto heard = call.endpoint->tick(frame);
    vm.hear(heard);
    for (char d : call.endpoint->take_digits()) vm.digit(d);
    if (vm.message_ready()) deliver(call);
    if (vm.state() == Voicemail::State::done) {
      end(it, "finished", true);
    } else if (now - call.endpoint->last_heard() >= relay_.timeout) {
      vm.hang_up();
      if (vm.message_ready()) deliver(call);
      end(it, "media timeout", true);
    }
    it = next;
  }
  if (calls_.empty()) {
    ticking_ = false;
    return;
  }
  // A steady 20 ms: the next deadline from the last one, not from now,
  // unless the loop fell far behind (then start again from now).
  next_tick_ += kTick;
  if (now - next_tick_ > 5 * kTick) next_tick_ = now + kTick;
  clock_.expires_at(next_tick_);
  clock_.async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

void Apps::end(std::map<std::string, std::unique_ptr<Call>>::iterator it, const std::string& reason, bool tell) {
  Call& call = *it->second;
  if (call.voicemail->message_ready()) deliver(call);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - call.started);
  log::info("media.app.ended", "call ended",
            {{"sid", call.sid}, {"call_id", call.key.substr(0, 128)}, {"reason", reason},
             {"elapsed_ms", elapsed.count()}, {"count", call.endpoint->received()}, {"value", call.endpoint->dropped()}});
  const std::string key = call.key;
  calls_.erase(it);
  if (tell && hooks_.ended) hooks_.ended(key, reason);
}

void Apps::deliver(Call& call) {
  auto samples = call.voicemail->take_message();
  VoicemailMail mail;
  mail.account = call.request.account();
  mail.caller = call.request.caller();
  mail.caller_name = call.request.caller_name();
  mail.length = std::chrono::milliseconds(samples.size() * 1000 / kRate);
  mail.wav = audio::wav_bytes(samples, kRate);
  mail.received = std::chrono::system_clock::now();
  if (hooks_.deliver) hooks_.deliver(std::move(mail), call.sid);
}

}  // namespace parley::media
