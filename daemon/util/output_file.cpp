#include "util/output_file.h"

#include <cerrno>
#include <fstream>
#include <iostream>

namespace scx_custody {

Status write_output(const std::string& path, const std::function<void(std::ostream&)>& write) {
    if (path.empty()) {
        write(std::cout);
        std::cout.flush();
        if (!std::cout)
            return Error::system("write to stdout", errno);
        return ok_status();
    }
    std::ofstream out(path, std::ios::out | std::ios::trunc);
    if (!out)
        return Error::system("open " + path, errno, ExitCode::Usage);
    write(out);
    out.close();
    if (!out)
        return Error::system("write " + path, errno);
    return ok_status();
}

} // namespace scx_custody
