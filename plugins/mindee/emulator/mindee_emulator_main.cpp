// mindee-emulator: the Mindee emulator on its own, to try the connector by hand without a
// Mindee account.
//
//   mindee-emulator [--port N] [--tls-dir DIR] [--v1-key K] [--v2-key K] [--processing-seconds S]
//
// Plain HTTP on 127.0.0.1 unless --tls-dir is given: then HTTPS, with a test CA written into
// DIR (give DIR/ca.pem as the connector's ca_file). Jobs finish on real time (checked every
// 100 ms). Runs until SIGINT or SIGTERM.
#include "mindee_emulator.hpp"
#include "standalone.hpp"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

using namespace relais;

namespace {

int usage(const std::string &why) {
    std::cerr << "mindee-emulator: " << why << "\n"
              << "usage: mindee-emulator [--port N] [--tls-dir DIR] [--v1-key K] [--v2-key K] [--processing-seconds S]\n";
    return 2;
}

// Calls finish_due_jobs every 100 ms until stopped.
class Ticker {
public:
    explicit Ticker(mindee_emulator::MindeeEmulator &emulator)
        : thread_([this, &emulator] {
              std::unique_lock lock(mutex_);
              while (!stop_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; })) {
                  lock.unlock();
                  emulator.finish_due_jobs();
                  lock.lock();
              }
          }) {}
    ~Ticker() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        stop_.notify_all();
        thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable stop_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace

int main(int argc, char **argv) {
    mindee_emulator::MindeeEmulatorOptions options;
    std::string v1_key = *options.v1_keys.begin(), v2_key = *options.v2_keys.begin();
    std::filesystem::path tls_dir;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") return usage("the Mindee API emulator (v1 and v2)");
            if (i + 1 >= argc) return usage("missing value after " + arg);
            const std::string value = argv[++i];
            if (arg == "--port")
                options.server.port = static_cast<Poco::UInt16>(std::stoi(value));
            else if (arg == "--tls-dir")
                tls_dir = value;
            else if (arg == "--v1-key")
                v1_key = value;
            else if (arg == "--v2-key")
                v2_key = value;
            else if (arg == "--processing-seconds")
                options.processing_time = std::chrono::milliseconds(static_cast<long long>(std::stod(value) * 1000));
            else
                return usage("unknown option " + arg);
        }
    } catch (const std::exception &) {
        return usage("a number was expected");
    }
    options.v1_keys = {v1_key};
    options.v2_keys = {v2_key};

    emulator::TerminationSignals signals;  // before any server thread starts
    const auto ca = emulator::serve_tls_from(tls_dir, options.server);
    mindee_emulator::MindeeEmulator emulator(options);
    emulator.start();
    std::cout << "Mindee emulator listening\n"
              << "  v1_url    " << emulator.v1_url() << "   (api_version v1, key " << v1_key << ")\n"
              << "  v2_url    " << emulator.v2_url() << "   (api_version v2, key " << v2_key << ")\n"
              << "  model_id  " << mindee_emulator::kReceiptModelId << "   (Expense receipts, webhook "
              << mindee_emulator::kReceiptWebhookId << ")\n";
    if (ca) std::cout << "  ca_file   " << std::filesystem::absolute(ca->ca_file()).string() << "\n";
    std::cout << "  jobs take " << std::chrono::duration_cast<std::chrono::milliseconds>(options.processing_time).count()
              << " ms\n"
              << std::flush;
    {
        Ticker ticker(emulator);
        signals.wait();
    }
    emulator.stop();
    return 0;
}
