#include "settings.h"

namespace parley::media {

namespace {

constexpr std::string_view kSection = "media";

const config::String kAddress{
    .section = kSection, .key = "address", .default_value = "127.0.0.1",
    .doc = "The IP address the relay's RTP and RTCP ports are bound to: the server's public address "
           "(the address phones send their media to), or a private one behind a 1:1 NAT with "
           "advertised_address set."};
const config::String kAdvertised{
    .section = kSection, .key = "advertised_address", .default_value = "",
    .doc = "The address sipd writes into the SDP it passes on, when it is not `address` (a 1:1 NAT in "
           "front of the server). Empty: `address`."};
const config::Integer kPortMin{
    .section = kSection, .key = "port_min", .default_value = 20000, .min = 1024, .max = 65534,
    .doc = "The first port of the relay's range (even; RTP on even ports, RTCP on the next). "
           "A relayed call takes four ports per stream."};
const config::Integer kPortMax{
    .section = kSection, .key = "port_max", .default_value = 39999, .min = 1025, .max = 65535,
    .doc = "The last port of the relay's range."};
const config::Integer kTimeout{
    .section = kSection, .key = "timeout_s", .default_value = 60, .min = 5, .max = 86400,
    .doc = "An answered call with no packet either way for this long is ended: its ports are freed and "
           "sipd ends the call."};
const config::Integer kSetupTimeout{
    .section = kSection, .key = "setup_timeout_s", .default_value = 600, .min = 30, .max = 86400,
    .doc = "A relay whose call is never answered is freed after this long (sipd releases it at once "
           "when the call fails; this is for a sipd that restarted)."};
const config::Integer kMaxCalls{
    .section = kSection, .key = "max_calls", .default_value = 4000, .min = 1, .max = 100000,
    .doc = "Relayed calls at once; more are put through without the relay. Each needs four file "
           "descriptors per stream (process.media.rlimit_nofile)."};
const config::Integer kMaxStreams{
    .section = kSection, .key = "max_streams", .default_value = 4, .min = 1, .max = 16,
    .doc = "Media streams (m= lines) relayed in one call; a call offering more is put through without "
           "the relay."};

const config::String kPrompts{
    .section = kSection, .key = "prompts", .default_value = PARLEY_PROMPTS_DIR,
    .doc = "The directory of the prompts the applications play (WAV files, any rate: "
           "voicemail-greeting.wav, voicemail-tone.wav, voicemail-goodbye.wav), made with espeak-ng when "
           "Parley is built. Read at start and on reload."};
const config::Integer kVoicemailMax{
    .section = kSection, .key = "voicemail_max_s", .default_value = 180, .min = 10, .max = 3600,
    .doc = "The longest voicemail message; the caller then hears goodbye and the call ends."};

}  // namespace

config::SectionDecl settings_section() {
  return {.name = std::string(kSection),
          .doc = "The media process: the RTP/RTCP relay for calls through NAT, and the server's own "
                 "applications (voicemail).",
          .keys = {kAddress, kAdvertised, kPortMin, kPortMax, kTimeout, kSetupTimeout, kMaxCalls, kMaxStreams,
                   kPrompts, kVoicemailMax}};
}

Result<RelaySettings> load_settings(const config::Config& c) {
  RelaySettings s;
  boost::system::error_code ec;
  const std::string address = c.get(kAddress);
  s.address = asio::ip::make_address(address, ec);
  if (ec) return fail(Errc::invalid, "media.address: not an IP address: " + address);
  s.advertised = c.get(kAdvertised);
  if (s.advertised.empty()) {
    if (s.address.is_unspecified()) {
      return fail(Errc::invalid, "media.advertised_address: needed when media.address is " + address);
    }
    s.advertised = address;
  }
  asio::ip::make_address(s.advertised, ec);
  if (ec) return fail(Errc::invalid, "media.advertised_address: not an IP address: " + s.advertised);
  const auto low = c.get(kPortMin);
  const auto high = c.get(kPortMax);
  if (low % 2 != 0) return fail(Errc::invalid, "media.port_min: must be even");
  if (high < low + 3) return fail(Errc::invalid, "media.port_max: the range must hold at least four ports");
  s.port_min = static_cast<std::uint16_t>(low);
  s.port_max = static_cast<std::uint16_t>(high);
  s.timeout = std::chrono::seconds(c.get(kTimeout));
  s.setup_timeout = std::chrono::seconds(c.get(kSetupTimeout));
  s.max_calls = static_cast<std::size_t>(c.get(kMaxCalls));
  s.max_streams = static_cast<std::size_t>(c.get(kMaxStreams));
  return s;
}

AppSettings load_app_settings(const config::Config& c) {
  return {.prompts = c.get(kPrompts), .voicemail_max = std::chrono::seconds(c.get(kVoicemailMax))};
}

}  // namespace parley::media
