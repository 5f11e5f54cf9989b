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
                    "allows, kprobes elsewhere) or kprobe (kprobes and kretprobes only: the "
                    "fallback path, forced)")
        ->transform(CLI::CheckedTransformer(names).description(""))
        ->type_name("auto|kprobe")
        ->default_str("auto");
}

} // namespace scx_custody::commands
