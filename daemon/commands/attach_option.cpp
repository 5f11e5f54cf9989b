#include "commands/attach_option.h"

#include <map>
#include <string>

namespace scx_custody::commands {

CLI::Option* add_attach_option(CLI::App& cmd, loader::AttachPreference& preference) {
    const std::map<std::string, loader::AttachPreference> names{
        {"auto", loader::AttachPreference::Auto}, {"kprobe", loader::AttachPreference::Kprobe}};
    return cmd
        .add_option("--attach", preference,
                    "How kernel functions are hooked: auto (fentry/fexit where the kernel "
                    "allows, kprobes elsewhere) or kprobe (kprobes only: the fallback path; "
                    "inserts are then seen on entry and the kernel's custody bit is not judged)")
        ->transform(CLI::CheckedTransformer(names))
        ->default_str("auto");
}

} // namespace scx_custody::commands
