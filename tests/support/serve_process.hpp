// `relais serve` run as a child process by a test: its output captured line by line, its
// address read from its own "listening on" line, signals sent on demand.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace relais::test {

class ServeProcess {
public:
    // Starts `relais [--plugin-dir DIR] serve --port 0 ARGS...` and waits (up to 30 s) for it
    // to listen; throws with its output if it does not.
    ServeProcess(const std::string &plugin_dir, std::vector<std::string> serve_args,
                 std::vector<std::pair<std::string, std::string>> environment = {});
    ~ServeProcess();  // SIGKILL if still running

    const std::string &url() const { return url_; }
    int pid() const { return pid_; }

    // Waits until some output line contains `text`; false at the deadline.
    bool wait_for_output(const std::string &text, std::chrono::milliseconds deadline = std::chrono::seconds(10));
    // Every line written so far, stdout and stderr interleaved as they arrived.
    std::vector<std::string> output() const;
    // The same, as one text (for a failed check's message: a sanitizer's report shows there).
    std::string transcript() const;

    void signal(int signal);
    // Waits for the process to end; returns its exit code, or -1 at the deadline.
    int wait_exit(std::chrono::milliseconds deadline = std::chrono::seconds(30));

private:
    void read_lines(int fd);

    int pid_ = -1;
    bool exited_ = false;
    int exit_code_ = -1;
    std::string url_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> lines_;
    int closed_outputs_ = 0;
    std::vector<std::thread> readers_;
};

}  // namespace relais::test
