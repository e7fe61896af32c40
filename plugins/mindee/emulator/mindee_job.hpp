// An asynchronous read (v1 predict_async or v2 enqueue) as the emulator keeps it. Internal to
// the emulator's sources; guarded by the emulator's jobs mutex.
#pragma once

#include "mindee_documents.hpp"
#include "mindee_emulator.hpp"
#include "mindee_wire.hpp"
#include "multipart.hpp"

#include <optional>
#include <string>
#include <vector>

namespace relais::mindee_emulator {

// What the upload routes let the multipart reader take: the framework caps a part at 32 MB by
// default, below v2's 100 MB; the API's own limits (mindee_documents.hpp) then apply.
const emulator::MultipartLimits kUploadPartLimits{64, 110u << 20, 8u << 10};

struct MindeeEmulator::Job {
    enum class State { processing, processed, failed };
    struct WebhookDelivery {
        std::string id;
        time_point at;
        bool ok = false;
        std::string error;  // why it failed
    };

    Version version = Version::v1;
    std::string id;
    std::string document_id;  // v1: where the queue redirects once done
    std::string model_id;     // v2
    std::optional<std::string> alias;
    Document document;
    V2Options options;
    std::vector<std::string> webhook_ids;
    std::string result_path;  // v2: /v2/inferences/{id} or /v2/products/extraction/results/{id}
    time_point created{}, due{};
    std::optional<time_point> completed;
    State state = State::processing;
    std::vector<WebhookDelivery> deliveries;
};

}  // namespace relais::mindee_emulator
