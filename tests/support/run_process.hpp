// Runs a program and captures its exit code, stdout and stderr (for CLI tests).
#pragma once

#include <string>
#include <vector>

namespace relais::test {

struct ProcessResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

ProcessResult run_process(const std::string &program, const std::vector<std::string> &args);

}  // namespace relais::test
