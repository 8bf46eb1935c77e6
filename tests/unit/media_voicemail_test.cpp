// Voicemail, the application (procs/media/voicemail.h): what the caller
// hears when, what is kept, and the mail that carries it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "procs/media/voicemail.h"

namespace parley::media {
namespace {

std::shared_ptr<const Prompts> prompts() {
  auto p = std::make_shared<Prompts>();
  p->greeting.assign(3 * kFrame, 1000);
  p->tone.assign(kFrame, 2000);
  p->goodbye.assign(2 * kFrame, 3000);
  return p;
}

// What play() gives, frame by frame: the first sample of each.
std::vector<int> played(Voicemail& vm, int frames) {
  std::vector<int> out;
  for (int i = 0; i < frames; ++i) {
    const auto f = vm.play();
    EXPECT_EQ(f.size(), kFrame);
    out.push_back(f.front());
  }
  return out;
}

std::vector<std::int16_t> frame(std::int16_t value) { return std::vector<std::int16_t>(kFrame, value); }

TEST(Voicemail, GreetingToneRecordingThenGoodbyeOnPound) {
  Voicemail vm(prompts(), std::chrono::seconds(60));
  EXPECT_EQ(vm.state(), Voicemail::State::greeting);
  vm.hear(frame(7));  // said over the greeting: not kept
  EXPECT_EQ(played(vm, 4), (std::vector<int>{1000, 1000, 1000, 2000}));
  EXPECT_EQ(vm.state(), Voicemail::State::recording);
  for (int i = 0; i < 50; ++i) {
    vm.hear(frame(static_cast<std::int16_t>(i)));
    EXPECT_EQ(vm.play().front(), 0);  // silence while recording
  }
  vm.digit('5');  // not the end
  EXPECT_EQ(vm.state(), Voicemail::State::recording);
  vm.digit('#');
  EXPECT_EQ(vm.state(), Voicemail::State::goodbye);
  ASSERT_TRUE(vm.message_ready());
  const auto message = vm.take_message();
  ASSERT_EQ(message.size(), 50 * kFrame);
  EXPECT_EQ(message[kFrame * 3], 3);
  EXPECT_FALSE(vm.message_ready());
  EXPECT_EQ(played(vm, 2), (std::vector<int>{3000, 3000}));
  EXPECT_EQ(vm.state(), Voicemail::State::done);
}

TEST(Voicemail, ADigitSkipsTheGreetingToTheTone) {
  Voicemail vm(prompts(), std::chrono::seconds(60));
  EXPECT_EQ(vm.play().front(), 1000);
  vm.digit('1');
  EXPECT_EQ(played(vm, 1), (std::vector<int>{2000}));
  EXPECT_EQ(vm.state(), Voicemail::State::recording);
}

TEST(Voicemail, AHangUpKeepsTheMessageButNotAMomentsNoise) {
  Voicemail vm(prompts(), std::chrono::seconds(60));
  played(vm, 4);
  for (int i = 0; i < 10; ++i) vm.hear(frame(5));  // 200 ms: shorter than kShortest
  vm.hang_up();
  EXPECT_EQ(vm.state(), Voicemail::State::done);
  EXPECT_FALSE(vm.message_ready());

  Voicemail long_enough(prompts(), std::chrono::seconds(60));
  played(long_enough, 4);
  for (int i = 0; i < 30; ++i) long_enough.hear(frame(5));
  long_enough.hang_up();
  EXPECT_TRUE(long_enough.message_ready());
  EXPECT_EQ(long_enough.take_message().size(), 30 * kFrame);
}

TEST(Voicemail, TheLongestMessageEndsWithGoodbye) {
  Voicemail vm(prompts(), std::chrono::seconds(1));
  played(vm, 4);
  for (int i = 0; i < 60 && vm.state() == Voicemail::State::recording; ++i) vm.hear(frame(9));
  EXPECT_EQ(vm.state(), Voicemail::State::goodbye);
  EXPECT_EQ(vm.take_message().size(), static_cast<std::size_t>(kRate));
}

TEST(Voicemail, AnEmptyPromptSetStillRecords) {
  Voicemail vm(std::make_shared<Prompts>(), std::chrono::seconds(60));
  EXPECT_EQ(vm.play().front(), 0);
  EXPECT_EQ(vm.state(), Voicemail::State::recording);
  for (int i = 0; i < 30; ++i) vm.hear(frame(1));
  vm.digit('#');
  EXPECT_EQ(vm.state(), Voicemail::State::done) << "no goodbye to play";
  EXPECT_TRUE(vm.message_ready());
}

TEST(VoicemailMail, AMultipartWithTheWavAndWhoCalled) {
  VoicemailMail m;
  m.account = "demo@example.test";
  m.caller = "bob@elsewhere.test";
  m.caller_name = "Bob \"the\" Builder\r\nBcc: x@y";
  m.wav = std::string(200, 'W');
  m.length = std::chrono::milliseconds(83400);
  m.received = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  m.host = "mx.example.test";
  const std::string text = voicemail_message(m);
  const auto head = text.substr(0, text.find("\r\n\r\n"));
  EXPECT_NE(head.find("\r\nTo: <demo@example.test>\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("From: \"Bob the BuilderBcc: x@y\" <bob@elsewhere.test>\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("\r\nBcc:"), std::string::npos) << "no header smuggled in: " << head;
  EXPECT_NE(head.find("Subject: Voicemail from Bob the BuilderBcc: x@y <bob@elsewhere.test> (1:23)"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("Message-Context: voice-message"), std::string::npos);
  EXPECT_NE(head.find("Date: Tue, 14 Nov 2023 22:13:20 +0000"), std::string::npos) << head;
  EXPECT_NE(text.find("Content-Type: audio/wav\r\nContent-Transfer-Encoding: base64\r\n"), std::string::npos);
  // base64 of 200 'W's, in lines of at most 76.
  EXPECT_NE(text.find("V1dX"), std::string::npos);
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 998u);
    start = end + 2;
  }
}

TEST(VoicemailMail, AUtf8NameIsEncodedInTheHeaderAndAsciiInTheText) {
  VoicemailMail m;
  m.account = "demo@example.test";
  m.caller = "jurgen@example.test";
  m.caller_name = "J\xc3\xbcrgen \"J\" M\xc3\xbcller";
  m.host = "mx.example.test";
  const std::string text = voicemail_message(m);
  // base64 of "Jürgen J Müller".
  EXPECT_NE(text.find("From: =?UTF-8?B?SsO8cmdlbiBKIE3DvGxsZXI=?= <jurgen@example.test>\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Subject: Voicemail from =?UTF-8?B?SsO8cmdlbiBKIE3DvGxsZXI=?= <jurgen@example.test> (0:00)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("A voice message from Jrgen J Mller <jurgen@example.test>, 0:00 long"), std::string::npos);
  // A long one is cut into encoded-words between characters; no line is over 998.
  m.caller_name.clear();
  for (int i = 0; i < 60; ++i) m.caller_name += "\xc3\xa9";
  const std::string long_text = voicemail_message(m);
  const auto from = long_text.substr(long_text.find("From: "), long_text.find("\r\n", long_text.find("From: ")) -
                                                                      long_text.find("From: "));
  EXPECT_EQ(std::count(from.begin(), from.end(), '?'), 4 * 3) << from << ": 100 octets in three words";
  // Not UTF-8: ASCII only, quoted.
  m.caller_name = "B\xff\xfeob";
  EXPECT_NE(voicemail_message(m).find("From: \"Bob\" <jurgen@example.test>"), std::string::npos);
}

TEST(VoicemailMail, AnUnknownCallerAndAnAddressThatIsNotOne) {
  VoicemailMail m;
  m.account = "demo@example.test";
  m.caller = "<evil>@x";
  m.host = "mx.example.test";
  const std::string text = voicemail_message(m);
  EXPECT_NE(text.find("From: \"Voicemail\" <voicemail@mx.example.test>\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Subject: Voicemail from an unknown caller (0:00)"), std::string::npos) << text;
}

}  // namespace
}  // namespace parley::media
