// FifoRing against std::deque, the queue it replaced in HeldCustodies.
#include "pairing/fifo_ring.h"

#include <cstdint>
#include <deque>
#include <random>

#include <gtest/gtest.h>

namespace scx_custody::pairing {
namespace {

void expect_same(const FifoRing<uint64_t>& ring, const std::deque<uint64_t>& model) {
    ASSERT_EQ(ring.size(), model.size());
    ASSERT_EQ(ring.empty(), model.empty());
    for (std::size_t i = 0; i < model.size(); ++i) {
        ASSERT_EQ(ring[i], model[i]) << "entry " << i;
    }
    if (!model.empty()) {
        ASSERT_EQ(ring.front(), model.front());
    }
}

TEST(FifoRing, KeepsOrderAcrossWrapAndGrowth) {
    FifoRing<uint64_t> ring;
    std::deque<uint64_t> model;
    // 10 in, 7 out, repeated: the head walks around the array while it grows
    // (16, 32, 64 slots) with entries on both sides of the wrap.
    uint64_t next = 0;
    for (int round = 0; round < 40; ++round) {
        for (int i = 0; i < 10; ++i) {
            ring.push_back(next);
            model.push_back(next++);
        }
        for (int i = 0; i < 7; ++i) {
            ring.pop_front();
            model.pop_front();
        }
        expect_same(ring, model);
    }
    ring.clear();
    expect_same(ring, {});
    ring.push_back(7);
    EXPECT_EQ(ring.front(), 7u);
}

TEST(FifoRing, EraseIfKeepsTheRestInOrder) {
    FifoRing<uint64_t> ring;
    std::deque<uint64_t> model;
    for (uint64_t v = 0; v < 20; ++v) {
        ring.push_back(v);
        model.push_back(v);
    }
    for (int i = 0; i < 12; ++i) { // the head at 12 of 32 slots
        ring.pop_front();
        model.pop_front();
    }
    for (uint64_t v = 100; v < 124; ++v) { // wraps past the array's end
        ring.push_back(v);
        model.push_back(v);
    }
    const auto odd = [](uint64_t v) { return v % 2 == 1; };
    ring.erase_if(odd);
    std::erase_if(model, odd);
    expect_same(ring, model);
    ring.erase_if([](uint64_t) { return true; });
    EXPECT_TRUE(ring.empty());
}

TEST(FifoRing, AgreesWithADequeOnRandomOperations) {
    std::mt19937_64 rng(20261202);
    FifoRing<uint64_t> ring;
    std::deque<uint64_t> model;
    for (int step = 0; step < 50'000; ++step) {
        const uint64_t op = rng() % 100;
        if (op < 55) {
            const uint64_t value = rng();
            ring.push_back(value);
            model.push_back(value);
        } else if (op < 97) {
            if (!model.empty()) {
                ring.pop_front();
                model.pop_front();
            }
        } else if (op < 99) {
            const uint64_t divisor = 2 + rng() % 5;
            const auto drop = [divisor](uint64_t v) { return v % divisor == 0; };
            ring.erase_if(drop);
            std::erase_if(model, drop);
        } else {
            ring.clear();
            model.clear();
        }
        if (step % 97 == 0)
            expect_same(ring, model);
    }
    expect_same(ring, model);
}

} // namespace
} // namespace scx_custody::pairing
