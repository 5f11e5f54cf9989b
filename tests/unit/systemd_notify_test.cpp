// SystemdNotifier against a notification socket of our own: the exact
// datagrams systemd would receive, and silence outside systemd.
#include "util/systemd_notify.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

namespace scx_custody {
namespace {

using namespace std::chrono_literals;

// A bound AF_UNIX datagram socket in a fresh directory, named by
// NOTIFY_SOCKET while the test runs, as systemd does for a Type=notify unit.
class NotifySocketTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char dir_template[] = "/tmp/scx-custody-notify-XXXXXX";
        ASSERT_NE(mkdtemp(dir_template), nullptr) << std::strerror(errno);
        dir_ = dir_template;
        path_ = dir_ + "/notify";
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ASSERT_GE(fd_, 0) << std::strerror(errno);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        ASSERT_LT(path_.size(), sizeof(addr.sun_path));
        std::strcpy(addr.sun_path, path_.c_str());
        ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
            << std::strerror(errno);
        setenv("NOTIFY_SOCKET", path_.c_str(), 1);
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
    }
    void TearDown() override {
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
        if (fd_ >= 0)
            close(fd_);
        unlink(path_.c_str());
        rmdir(dir_.c_str());
    }

    // The next datagram, if one is queued. sd_notify() has returned by the
    // time this runs, and a datagram is queued before sendmsg() returns.
    std::optional<std::string> next_message() {
        char buf[4096];
        ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
            EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << std::strerror(errno);
            return std::nullopt;
        }
        return std::string(buf, static_cast<size_t>(n));
    }

    static void set_watchdog(const char* usec, pid_t pid) {
        setenv("WATCHDOG_USEC", usec, 1);
        setenv("WATCHDOG_PID", std::to_string(pid).c_str(), 1);
    }

    std::string dir_;
    std::string path_;
    int fd_ = -1;
};

TEST_F(NotifySocketTest, ReadyCarriesTheFirstStatusInOneMessage) {
    auto notifier = SystemdNotifier::from_environment();
    EXPECT_TRUE(notifier.enabled());
    notifier.ready("auditing scheduler simple; 9 of 10 hooks attached");
    EXPECT_EQ(next_message(), "READY=1\nSTATUS=auditing scheduler simple; 9 of 10 hooks attached");
    EXPECT_EQ(next_message(), std::nullopt);
}

TEST_F(NotifySocketTest, StatusAndStoppingAreSentAsGiven) {
    auto notifier = SystemdNotifier::from_environment();
    notifier.status("waiting for a sched_ext scheduler; 7 of 9 hooks attached");
    notifier.stopping("stopping");
    EXPECT_EQ(next_message(), "STATUS=waiting for a sched_ext scheduler; 7 of 9 hooks attached");
    EXPECT_EQ(next_message(), "STOPPING=1\nSTATUS=stopping");
    EXPECT_EQ(next_message(), std::nullopt);
}

TEST_F(NotifySocketTest, WatchdogPingsAtHalfTheInterval) {
    set_watchdog("10000000", getpid());
    auto notifier = SystemdNotifier::from_environment();
    ASSERT_EQ(notifier.watchdog_interval(), std::chrono::microseconds(10s));
    const auto t0 = SystemdNotifier::Clock::time_point{} + 1h;
    notifier.watchdog_tick(t0);
    EXPECT_EQ(next_message(), "WATCHDOG=1");
    notifier.watchdog_tick(t0 + 100ms);
    notifier.watchdog_tick(t0 + 4999ms);
    EXPECT_EQ(next_message(), std::nullopt);
    notifier.watchdog_tick(t0 + 5s);
    EXPECT_EQ(next_message(), "WATCHDOG=1");
    notifier.watchdog_tick(t0 + 9s);
    EXPECT_EQ(next_message(), std::nullopt);
    notifier.watchdog_tick(t0 + 10s);
    EXPECT_EQ(next_message(), "WATCHDOG=1");
}

TEST_F(NotifySocketTest, NoWatchdogPingWithoutWatchdogUsec) {
    auto notifier = SystemdNotifier::from_environment();
    EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
    notifier.watchdog_tick(SystemdNotifier::Clock::now());
    EXPECT_EQ(next_message(), std::nullopt);
}

TEST_F(NotifySocketTest, WatchdogMeantForAnotherProcessIsIgnored) {
    set_watchdog("10000000", getpid() + 1);
    auto notifier = SystemdNotifier::from_environment();
    EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
    notifier.watchdog_tick(SystemdNotifier::Clock::now());
    EXPECT_EQ(next_message(), std::nullopt);
}

TEST_F(NotifySocketTest, NothingIsSentWithoutNotifySocket) {
    unsetenv("NOTIFY_SOCKET");
    set_watchdog("10000000", getpid());
    auto notifier = SystemdNotifier::from_environment();
    EXPECT_FALSE(notifier.enabled());
    EXPECT_EQ(notifier.watchdog_interval(), std::nullopt);
    notifier.ready("auditing");
    notifier.status("auditing");
    notifier.watchdog_tick(SystemdNotifier::Clock::now());
    notifier.stopping("stopping");
    EXPECT_EQ(next_message(), std::nullopt);
}

} // namespace
} // namespace scx_custody
