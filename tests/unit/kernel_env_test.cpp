// The sysfs reading of sub-scheduler trees (util/kernel_env.h), on directory
// trees laid out like /sys/kernel/sched_ext in a temporary directory.
#include "util/kernel_env.h"
#include "util/sysfs_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace scx_custody {
namespace {

namespace fs = std::filesystem;

class SchedExtTree : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kernel_env_test." + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "root");
    }
    void TearDown() override { fs::remove_all(dir_); }
    void add(const std::string& relative) { fs::create_directories(dir_ / "root" / relative); }
    std::vector<uint64_t> found() const {
        auto ids = sub_scheduler_cgroups_in(dir_.string());
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    fs::path dir_;
};

TEST_F(SchedExtTree, RootWithoutSubDirectoryHasNone) {
    EXPECT_TRUE(found().empty());
}

TEST_F(SchedExtTree, EmptySubDirectoryHasNone) {
    add("sub");
    EXPECT_TRUE(found().empty());
}

TEST_F(SchedExtTree, ChildrenAndGrandchildrenAreFound) {
    add("sub/sub-28/sub");
    add("sub/sub-31/sub/sub-40/sub");
    EXPECT_EQ(found(), (std::vector<uint64_t>{28, 31, 40}));
}

TEST_F(SchedExtTree, EntriesThatAreNotSubSchedulersAreIgnored) {
    add("sub/sub-7");
    add("sub/sub-");
    add("sub/sub-12x");
    add("sub/caps");
    EXPECT_EQ(found(), (std::vector<uint64_t>{7}));
}

TEST(SchedExtTreeMissing, MissingDirectoryHasNone) {
    EXPECT_TRUE(sub_scheduler_cgroups_in("/nonexistent/sched_ext").empty());
}

TEST(SysfsText, ParseU64TakesOnlyAWholeUnsignedNumber) {
    EXPECT_EQ(parse_u64("0"), 0u);
    EXPECT_EQ(parse_u64("18446744073709551615"), UINT64_MAX);
    EXPECT_EQ(parse_u64(""), std::nullopt);
    EXPECT_EQ(parse_u64("18446744073709551616"), std::nullopt); // 2^64
    EXPECT_EQ(parse_u64("-1"), std::nullopt);
    EXPECT_EQ(parse_u64("+1"), std::nullopt);
    EXPECT_EQ(parse_u64("12 "), std::nullopt);
    EXPECT_EQ(parse_u64("12a"), std::nullopt);
}

TEST_F(SchedExtTree, ReadFirstLineDropsTrailingBlanksAndIsEmptyWithoutTheFile) {
    const std::string path = (dir_ / "state").string();
    std::ofstream(path) << "enabled \t\nsecond line\n";
    EXPECT_EQ(read_first_line(path), "enabled");
    EXPECT_EQ(read_first_line((dir_ / "missing").string()), "");
}

} // namespace
} // namespace scx_custody
