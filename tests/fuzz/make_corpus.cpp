// recording_fuzz_corpus: writes or checks the seed corpus of recording_fuzz
// (corpus_seeds.h). Regenerate the committed corpus after a change to the event
// ABI, the recording format, the report or the fixtures with
//     cmake --build build --target fuzz_corpus
// The unit test fuzz.corpus runs `--check` on tests/fuzz/corpus.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit_fixtures.h"
#include "corpus_seeds.h"
#include "fuzz_input.h"

namespace {

using namespace scx_custody;
namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    "usage: recording_fuzz_corpus DIR          write the seeds into DIR\n"
    "       recording_fuzz_corpus --check DIR  check that DIR holds exactly these seeds,\n"
    "                                          each replaying as the generator says\n";

// Empty when the input replays as the seed says, else what is wrong.
std::string mismatch(const fuzz::Seed& seed, std::span<const std::byte> input) {
    if (input.empty())
        return "empty input";
    const std::vector<std::byte> recording = fuzz::recording_of(input[0], input.subspan(1));
    Result<nlohmann::json> report = fuzz::replay(recording);
    if (!seed.report.is_null()) {
        if (!report)
            return "refused, expected to replay: " + report.error().message;
        if (*report != seed.report)
            return "replays to another report than the live audit's";
        return {};
    }
    if (report)
        return "replays, expected a refusal containing \"" + seed.refusal + "\"";
    const std::string& message = report.error().message;
    if (report.error().exit_code != ExitCode::Usage ||
        message.find(seed.refusal) == std::string::npos ||
        message.find("byte offset") == std::string::npos)
        return "refused with \"" + message + "\", expected \"" + seed.refusal + "\"";
    return {};
}

int write(const fs::path& dir, const std::vector<fuzz::Seed>& seeds) {
    fs::create_directories(dir);
    for (const fuzz::Seed& seed : seeds) {
        if (const std::string wrong = mismatch(seed, seed.input); !wrong.empty()) {
            std::fprintf(stderr, "recording_fuzz_corpus: seed %s: %s\n", seed.name.c_str(),
                         wrong.c_str());
            return 1;
        }
        fixtures::write_file((dir / seed.name).string(), seed.input);
    }
    std::printf("%zu seeds in %s\n", seeds.size(), dir.c_str());
    return 0;
}

int check(const fs::path& dir, const std::vector<fuzz::Seed>& seeds) {
    int problems = 0;
    const auto problem = [&](const std::string& name, const std::string& what) {
        std::fprintf(stderr, "%s: %s\n", (dir / name).c_str(), what.c_str());
        ++problems;
    };
    std::set<std::string> expected;
    for (const fuzz::Seed& seed : seeds) {
        expected.insert(seed.name);
        if (!fs::is_regular_file(dir / seed.name)) {
            problem(seed.name, "missing");
            continue;
        }
        const std::vector<std::byte> committed = fixtures::read_file((dir / seed.name).string());
        if (const std::string wrong = mismatch(seed, committed); !wrong.empty())
            problem(seed.name, wrong);
        else if (committed != seed.input)
            problem(seed.name, "differs from what this build generates");
    }
    if (fs::is_directory(dir)) {
        for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
            if (!expected.contains(entry.path().filename().string()))
                problem(entry.path().filename().string(), "not a seed this build generates");
        }
    }
    if (problems > 0) {
        std::fprintf(stderr,
                     "%d problem(s): the corpus is stale; regenerate it with "
                     "`cmake --build BUILD_DIR --target fuzz_corpus` and commit it\n",
                     problems);
        return 1;
    }
    std::printf("%zu seeds in %s replay as generated\n", seeds.size(), dir.c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const bool checking = args.size() == 2 && args[0] == "--check";
    if (!checking && (args.size() != 1 || args[0].starts_with("-"))) {
        std::fputs(kUsage.data(), args.size() == 1 && args[0] == "--help" ? stdout : stderr);
        return args.size() == 1 && args[0] == "--help" ? 0 : 2;
    }
    const fs::path dir(args.back());
    try {
        const std::vector<fuzz::Seed> seeds = fuzz::corpus_seeds();
        return checking ? check(dir, seeds) : write(dir, seeds);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "recording_fuzz_corpus: %s\n", e.what());
        return 1;
    }
}
