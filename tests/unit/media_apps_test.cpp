// The applications' side of media with real sockets on loopback
// (procs/media/apps.h): a voicemail call answered, its prompts heard over
// RTP, a message spoken and ended with an RFC 4733 '#', and what the owner
// is told (the message to deliver, the call's end).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include <boost/asio/ip/udp.hpp>

#include "audio/audio.h"
#include "procs/media/apps.h"
#include "rtp/rtp.h"

namespace parley::media {
namespace {

using asio::ip::udp;
using namespace std::chrono_literals;

class AppsTest : public ::testing::Test {
 protected:
  AppsTest() : phone_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    phone_.non_blocking(true);
    RelaySettings relay{.address = asio::ip::make_address("127.0.0.1"), .advertised = "127.0.0.1",
                        .port_min = 41000, .port_max = 41099, .max_calls = 4, .max_streams = 1,
                        .timeout = std::chrono::seconds(5), .setup_timeout = std::chrono::seconds(30)};
    apps_ = std::make_unique<Apps>(io_, relay, AppSettings{.prompts = "/nonexistent", .voicemail_max = 60s},
                                   Apps::Hooks{.ended = [this](const std::string& call, const std::string& reason) {
                                                 ended_.push_back(call + ":" + reason);
                                               },
                                               .deliver = [this](VoicemailMail mail, const std::string&) {
                                                 mails_.push_back(std::move(mail));
                                               }});
    apps_->load_prompts();  // none there: the built-in tone alone
  }

  schema::AppStart start(std::string call) {
    schema::AppStart s;
    s.set_call(std::move(call));
    s.set_application("voicemail");
    s.set_account("demo@example.test");
    s.set_caller("bob@elsewhere.test");
    s.mutable_stream()->set_address("127.0.0.1");
    s.mutable_stream()->set_rtp_port(phone_.local_endpoint().port());
    for (auto [pt, name] : {std::pair{96u, "opus"}, {0u, "PCMU"}, {101u, "telephone-event"}}) {
      auto* f = s.add_formats();
      f->set_payload_type(pt);
      f->set_name(name);
      f->set_clock_rate(std::string(name) == "opus" ? 48000 : 8000);
    }
    return s;
  }

  // RTP packets the phone got within `for_`: (payload type, decoded samples).
  std::vector<std::pair<int, std::vector<std::int16_t>>> heard(std::chrono::milliseconds for_) {
    std::vector<std::pair<int, std::vector<std::int16_t>>> out;
    const auto until = std::chrono::steady_clock::now() + for_;
    std::vector<std::uint8_t> buf(2048);
    while (std::chrono::steady_clock::now() < until) {
      io_.run_for(10ms);
      for (;;) {
        boost::system::error_code ec;
        udp::endpoint from;
        const auto n = phone_.receive_from(asio::buffer(buf), from, 0, ec);
        if (ec) break;
        media_ = from;
        auto h = rtp::parse_rtp(rtp::Bytes(buf.data(), n));
        if (!h) continue;
        std::vector<std::int16_t> samples;
        audio::decode(audio::Codec::pcmu, rtp::payload(rtp::Bytes(buf.data(), n), *h), samples);
        out.emplace_back(h->payload_type, std::move(samples));
      }
    }
    return out;
  }

  // `samples` spoken by the phone in real time, a frame every 20 ms.
  void speak(const std::vector<std::int16_t>& samples) {
    for (std::size_t i = 0; i + kFrame <= samples.size(); i += kFrame) {
      std::string encoded;
      audio::encode(audio::Codec::pcmu, std::span(samples).subspan(i, kFrame), encoded);
      send(0, std::vector<std::uint8_t>(encoded.begin(), encoded.end()));
      io_.run_for(20ms);
    }
  }

  void send(std::uint8_t pt, const std::vector<std::uint8_t>& payload) {
    rtp::Header h;
    h.payload_type = pt;
    h.sequence = seq_++;
    h.timestamp = pt == 0 ? (ts_ += 160) : ts_;
    h.ssrc = 0x1234;
    std::vector<std::uint8_t> packet;
    rtp::write_rtp(h, payload, packet);
    phone_.send_to(asio::buffer(packet), *media_);
  }

  asio::io_context io_;
  udp::socket phone_;
  std::optional<udp::endpoint> media_;
  std::unique_ptr<Apps> apps_;
  std::vector<std::string> ended_;
  std::vector<VoicemailMail> mails_;
  std::uint16_t seq_ = 1;
  std::uint32_t ts_ = 1000;
};

TEST_F(AppsTest, AVoicemailIsHeardRecordedAndDelivered) {
  auto reply = apps_->start(start("call-1"));
  ASSERT_TRUE(reply.ok()) << reply.error().detail;
  EXPECT_EQ(reply->address(), "127.0.0.1");
  EXPECT_EQ(reply->format().name(), "PCMU") << "the first offered that media speaks";
  EXPECT_EQ(reply->telephone_event(), 101u);
  EXPECT_GE(reply->rtp_port(), 41000u);
  EXPECT_LE(reply->rtp_port(), 41098u);
  EXPECT_EQ(reply->rtp_port() % 2, 0u);
  // Again for the call (a re-INVITE offering PCMA now): the same port and codec.
  auto again = start("call-1");
  again.mutable_formats(1)->set_name("PCMA");
  again.mutable_formats(1)->set_payload_type(8);
  auto second = apps_->start(again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->rtp_port(), reply->rtp_port());
  EXPECT_EQ(second->format().name(), "PCMU");
  EXPECT_EQ(apps_->calls(), 1u);

  // The tone (no greeting file): sound for 500 ms, then silence, every 20 ms.
  auto first = heard(800ms);
  ASSERT_GE(first.size(), 30u);
  ASSERT_TRUE(media_.has_value());
  EXPECT_EQ(media_->port(), reply->rtp_port());
  EXPECT_EQ(first.front().first, 0);
  EXPECT_EQ(first.front().second.size(), kFrame);
  EXPECT_GT(audio::rms_dbfs(first.front().second), -20.0);
  EXPECT_LT(audio::rms_dbfs(first.back().second), -60.0) << "silence once recording";

  // A second of 440 Hz, then '#'.
  speak(audio::tone(kRate, 440, 1000ms, -6));
  heard(100ms);  // what it holds, played
  for (int i = 0; i < 3; ++i) {
    std::vector<std::uint8_t> event;
    rtp::write_telephone_event({.event = 11, .end = true, .volume = 10, .duration = 800}, event);
    send(101, event);  // its end, three times: one digit
  }
  heard(300ms);
  EXPECT_TRUE(ended_.empty() || ended_.back() == "call-1:finished");
  heard(300ms);
  ASSERT_EQ(mails_.size(), 1u);
  EXPECT_EQ(mails_[0].account, "demo@example.test");
  auto samples = audio::load_wav_bytes(mails_[0].wav, kRate);
  ASSERT_TRUE(samples.ok());
  EXPECT_GE(samples->size(), kRate * 8 / 10);
  EXPECT_LE(samples->size(), kRate * 12 / 10);
  EXPECT_GT(audio::rms_dbfs(*samples), -15.0);
  EXPECT_EQ(ended_, (std::vector<std::string>{"call-1:finished"}));
  EXPECT_EQ(apps_->calls(), 0u);
}

TEST_F(AppsTest, AHangUpDeliversAndRefusalsAreClear) {
  EXPECT_EQ(apps_->start([&] {
                  auto s = start("x");
                  s.set_application("conference");
                  return s;
                }()).code(),
            Errc::invalid);
  auto only_opus = start("y");
  only_opus.mutable_formats()->DeleteSubrange(1, 2);
  EXPECT_EQ(apps_->start(only_opus).code(), Errc::invalid);
  EXPECT_FALSE(apps_->stop("nobody"));
  EXPECT_FALSE(apps_->digits("nobody", "#"));

  ASSERT_TRUE(apps_->start(start("call-2")).ok());
  heard(700ms);
  speak(audio::tone(kRate, 300, 800ms, -10));
  heard(200ms);
  EXPECT_TRUE(apps_->stop("call-2"));
  EXPECT_EQ(mails_.size(), 1u);
  EXPECT_TRUE(ended_.empty()) << "a hang-up is sipd's news: not told back";

  // Stopping media: every caller is hung up, and what was said kept.
  ASSERT_TRUE(apps_->start(start("call-5")).ok());
  heard(700ms);
  speak(audio::tone(kRate, 300, 800ms, -10));
  heard(100ms);
  apps_->end_all("shutdown");
  EXPECT_EQ(apps_->calls(), 0u);
  EXPECT_EQ(mails_.size(), 2u);
  EXPECT_EQ(ended_, (std::vector<std::string>{"call-5:shutdown"}));
}

TEST_F(AppsTest, DigitsFromSipInfoEndTheMessageAsEventsDo) {
  ASSERT_TRUE(apps_->start(start("call-3")).ok());
  heard(700ms);
  speak(audio::tone(kRate, 300, 800ms, -10));
  heard(100ms);
  EXPECT_TRUE(apps_->digits("call-3", "#"));
  heard(200ms);
  EXPECT_EQ(mails_.size(), 1u);
  EXPECT_EQ(ended_, (std::vector<std::string>{"call-3:finished"}));
}

// Offered no telephone-event: media listens for DTMF tones in the audio.
TEST_F(AppsTest, DtmfTonesInTheAudioAreHeardWithoutTelephoneEvents) {
  auto s = start("call-4");
  s.mutable_formats()->DeleteSubrange(2, 1);
  auto reply = apps_->start(s);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->telephone_event(), 0u);
  heard(700ms);
  speak(audio::tone(kRate, 300, 800ms, -10));
  // '#': 941 Hz and 1477 Hz together for 100 ms, then quiet.
  auto low = audio::tone(kRate, 941, 100ms, -10);
  const auto high = audio::tone(kRate, 1477, 100ms, -10);
  for (std::size_t i = 0; i < low.size(); ++i) low[i] = static_cast<std::int16_t>(low[i] + high[i]);
  speak(low);
  speak(audio::silence(kRate, 200ms));
  heard(200ms);
  EXPECT_EQ(mails_.size(), 1u);
  EXPECT_EQ(ended_, (std::vector<std::string>{"call-4:finished"}));
}

}  // namespace
}  // namespace parley::media
