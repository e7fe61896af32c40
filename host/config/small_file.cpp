#include "config/small_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace relais::host::config {

FileContent read_small_file(const std::filesystem::path &path, std::size_t limit) {
    FileContent result;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        result.error = system_reason(errno);
        return result;
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        result.error = system_reason(errno);
    } else if (!S_ISREG(info.st_mode)) {
        result.error = "not a regular file";
    } else {
        char buffer[8192];
        for (;;) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                result.error = system_reason(errno);
                break;
            }
            if (n == 0) break;
            result.text.append(buffer, static_cast<std::size_t>(n));
            if (result.text.size() > limit) {
                result.error = "larger than " + std::to_string(limit) + " bytes";
                break;
            }
        }
    }
    ::close(fd);
    if (!result.error.empty()) result.text.clear();
    return result;
}

std::string system_reason(int error) { return std::strerror(error); }

}  // namespace relais::host::config
