// Per-thread capability reduction (util/capabilities.h). Each case runs in a
// thread of its own, because a thread's capabilities can only go down: the
// test process keeps its own. Needs a thread that holds the kept
// capabilities and CAP_SETPCAP (root); skipped otherwise.
#include "util/capabilities.h"

#include <gtest/gtest.h>
#include <sys/capability.h>

#include <string>
#include <thread>

namespace scx_custody {
namespace {

bool privileged() {
    cap_t caps = cap_get_proc();
    cap_flag_value_t setpcap = CAP_CLEAR, sys_admin = CAP_CLEAR;
    cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
    cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &sys_admin);
    cap_free(caps);
    return setpcap == CAP_SET && sys_admin == CAP_SET;
}

struct ThreadCaps {
    bool ok = false;
    std::string error;
    std::string text;
    int bound_net_admin = -1;
    int bound_bpf = -1;
};

template <typename Reduce> ThreadCaps in_a_thread(Reduce reduce) {
    ThreadCaps out;
    std::thread([&] {
        auto done = reduce();
        out.ok = done.ok();
        if (!done)
            out.error = done.error().message;
        out.text = current_capabilities_text();
        out.bound_net_admin = cap_get_bound(CAP_NET_ADMIN);
        out.bound_bpf = cap_get_bound(CAP_BPF);
    }).join();
    return out;
}

TEST(Capabilities, KeepOnlyLeavesTheThreeTheDaemonNeeds) {
    if (!privileged())
        GTEST_SKIP() << "needs CAP_SETPCAP and CAP_SYS_ADMIN (run as root)";
    auto t = in_a_thread([] { return keep_only_capabilities(daemon_capabilities()); });
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.text, "cap_sys_admin,cap_perfmon,cap_bpf=ep");
    EXPECT_EQ(t.bound_net_admin, 0) << "CAP_NET_ADMIN still in the bounding set";
    EXPECT_EQ(t.bound_bpf, 1);
    EXPECT_NE(current_capabilities_text(), t.text) << "the test's own thread lost capabilities";
}

TEST(Capabilities, KeepingAgainIsHarmless) {
    if (!privileged())
        GTEST_SKIP() << "needs CAP_SETPCAP and CAP_SYS_ADMIN (run as root)";
    auto t = in_a_thread([] {
        auto first = keep_only_capabilities(daemon_capabilities());
        return first ? keep_only_capabilities(daemon_capabilities()) : first;
    });
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.text, "cap_sys_admin,cap_perfmon,cap_bpf=ep");
}

TEST(Capabilities, DropAllLeavesNone) {
    if (!privileged())
        GTEST_SKIP() << "needs CAP_SETPCAP and CAP_SYS_ADMIN (run as root)";
    auto t = in_a_thread([] { return drop_all_capabilities(); });
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.text, "=");
}

TEST(Capabilities, EachKeptCapabilitySaysWhy) {
    for (const auto& k : daemon_capabilities()) {
        EXPECT_NE(std::string(k.name), "");
        EXPECT_GT(std::string(k.needed_for).size(), 10u) << k.name;
    }
    EXPECT_EQ(daemon_capabilities().size(), 3u);
}

} // namespace
} // namespace scx_custody
