#include "serve_process.hpp"

#include "plugin_files.hpp"

#include <csignal>
#include <cstring>
#include <regex>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace relais::test {

ServeProcess::ServeProcess(const std::string &plugin_dir, std::vector<std::string> serve_args,
                           std::vector<std::pair<std::string, std::string>> environment) {
    std::vector<std::string> args = {relais_binary().string(), "--plugin-dir", plugin_dir, "serve", "--port", "0"};
    args.insert(args.end(), serve_args.begin(), serve_args.end());

    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]), close(out[1]), close(err[0]), close(err[1]);
        for (const auto &[k, v] : environment) setenv(k.c_str(), v.c_str(), 1);
        std::vector<char *> argv;
        for (auto &a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    readers_.emplace_back([this, fd = out[0]] { read_lines(fd); });
    readers_.emplace_back([this, fd = err[0]] { read_lines(fd); });

    static const std::regex listening(R"(listening on (https?://[0-9.]+:[0-9]+))");
    std::unique_lock<std::mutex> lock(mutex_);
    size_t seen = 0;
    const bool up = changed_.wait_for(lock, std::chrono::seconds(30), [&] {
        for (; seen < lines_.size(); ++seen) {
            std::smatch m;
            if (std::regex_search(lines_[seen], m, listening)) {
                url_ = m[1];
                return true;
            }
        }
        return closed_outputs_ == 2;  // it died before listening
    });
    if (!up || url_.empty()) {
        std::string all;
        for (const auto &l : lines_) all += l + "\n";
        lock.unlock();
        throw std::runtime_error("relais serve did not start listening:\n" + all);
    }
}

ServeProcess::~ServeProcess() {
    if (wait_exit(std::chrono::milliseconds(0)) == -1) {
        ::kill(pid_, SIGKILL);
        wait_exit(std::chrono::seconds(10));
    }
    for (auto &t : readers_) t.join();
}

void ServeProcess::read_lines(int fd) {
    std::string pending;
    char buffer[4096];
    for (;;) {
        const auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        pending.append(buffer, static_cast<size_t>(n));
        std::lock_guard<std::mutex> lock(mutex_);
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
            lines_.push_back(pending.substr(0, nl));
            pending.erase(0, nl + 1);
        }
        changed_.notify_all();
    }
    close(fd);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!pending.empty()) lines_.push_back(pending);
    ++closed_outputs_;
    changed_.notify_all();
}

bool ServeProcess::wait_for_output(const std::string &text, std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    size_t seen = 0;
    return changed_.wait_for(lock, deadline, [&] {
        for (; seen < lines_.size(); ++seen)
            if (lines_[seen].find(text) != std::string::npos) return true;
        return false;
    });
}

std::vector<std::string> ServeProcess::output() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
}

std::string ServeProcess::transcript() const {
    std::string all;
    for (const auto &line : output()) all += line + "\n";
    return all;
}

void ServeProcess::signal(int sig) { ::kill(pid_, sig); }

int ServeProcess::wait_exit(std::chrono::milliseconds deadline) {
    if (exited_) return exit_code_;
    // A process that has ended has closed its outputs; wait for that, then reap it.
    {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!changed_.wait_for(lock, deadline, [&] { return closed_outputs_ == 2; })) return -1;
    }
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_) return -1;
    exited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
}

}  // namespace relais::test
