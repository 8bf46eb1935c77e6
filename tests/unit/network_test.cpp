#include "config/network.h"

#include <gtest/gtest.h>

namespace parley::config {
namespace {

TEST(Network, Ipv4Prefix) {
  auto net = parse_network("192.0.2.0/24");
  ASSERT_TRUE(net) << net.error().detail;
  EXPECT_TRUE(net->contains("192.0.2.1"));
  EXPECT_TRUE(net->contains("192.0.2.255"));
  EXPECT_FALSE(net->contains("192.0.3.1"));
  EXPECT_FALSE(net->contains("::1"));
  EXPECT_FALSE(net->contains("not an address"));
}

TEST(Network, MappedIpv4CountsAsIpv4) {
  auto net = parse_network("127.0.0.1");
  ASSERT_TRUE(net);
  EXPECT_EQ(net->prefix, 32);
  EXPECT_TRUE(net->contains("::ffff:127.0.0.1"));
  EXPECT_FALSE(net->contains("127.0.0.2"));
}

TEST(Network, Ipv6) {
  auto net = parse_network("2001:db8::/33");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains("2001:db8:7fff::1"));
  EXPECT_FALSE(net->contains("2001:db8:8000::1"));
  auto all = parse_network("::/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains("::1"));
  EXPECT_FALSE(all->contains("10.0.0.1"));
}

TEST(Network, Malformed) {
  for (const char* bad : {"", "/24", "192.0.2.0/", "192.0.2.0/33", "192.0.2.0/-1", "192.0.2.1/24", "::1/129",
                          "example.org", "192.0.2.0/24x", "192.0.2.0 /24"}) {
    auto net = parse_network(bad);
    ASSERT_FALSE(net) << bad;
    EXPECT_EQ(net.code(), Errc::syntax) << bad;
  }
}

}  // namespace
}  // namespace parley::config
