// Unit tests of the accept window: records of a traced section, from the
// moment its programs were traced.
#include "consumer/accept_window.h"

#include <gtest/gtest.h>

namespace scx_custody::consumer {
namespace {

TEST(AcceptWindow, ClosedUntilOpened) {
    AcceptWindow window;
    EXPECT_FALSE(window.admits(0));
    EXPECT_FALSE(window.admits(1'000));
}

TEST(AcceptWindow, TakesRecordsFromTheTracedMomentOn) {
    AcceptWindow window;
    window.open(500);
    EXPECT_FALSE(window.admits(499));
    EXPECT_TRUE(window.admits(500));
    EXPECT_TRUE(window.admits(10'000));
}

TEST(AcceptWindow, ResumeKeepsTheStartCloseStops) {
    AcceptWindow window;
    window.open(500);
    window.close();
    EXPECT_FALSE(window.admits(600));
    window.resume();
    EXPECT_FALSE(window.admits(499));
    EXPECT_TRUE(window.admits(600));
}

} // namespace
} // namespace scx_custody::consumer
