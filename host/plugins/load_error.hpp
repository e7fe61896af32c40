// Why a plugin library was refused: one line naming the file and the reason.
#pragma once

#include <stdexcept>
#include <string>

namespace relais::host {

class LoadError : public std::runtime_error {
public:
    LoadError(std::string file, std::string reason)
        : std::runtime_error(file + ": " + reason), file_(std::move(file)), reason_(std::move(reason)) {}
    const std::string &file() const { return file_; }
    const std::string &reason() const { return reason_; }

private:
    std::string file_;
    std::string reason_;
};

}  // namespace relais::host
