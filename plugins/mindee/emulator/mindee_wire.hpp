// The JSON Mindee sends, built from what the emulator read: v1's api_request envelope, its
// receipt v5 prediction and jobs (shapes of the recorded v1 answers), and v2's RFC 9457-like
// problem bodies and extraction results (shapes of the recorded v2 answers).
#pragma once

#include "emulator_clock.hpp"
#include "http_message.hpp"
#include "mindee_documents.hpp"

#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace relais::mindee_emulator {

using Json = Poco::JSON::Object::Ptr;
using time_point = emulator::EmulatorClock::time_point;

Json object();  // keys kept in the order set
std::string stringify(const Json &o);
std::string new_uuid();
// "2026-11-30T12:31:00.123456" (UTC, no offset), as both versions write their times.
std::string iso_time(time_point t);

// --- v1 ---------------------------------------------------------------------------------
// {"error":{...},"resources":[...],"status":...,"status_code":N,"url":...}; `error` null: {}.
Json v1_api_request(int status_code, const std::string &url, const std::vector<std::string> &resources,
                    const Json &error = nullptr, const std::string &status = "");
// The v1 error envelope: {"api_request":{"error":{"code","details","message"},"status":"failure",...}}.
emulator::Response v1_error(int status, const std::string &url, const std::string &code, const std::string &details,
                            const std::string &message);
// document{id,name,n_pages,inference{...}}: the receipt v5 prediction of `document`.
Json v1_document_json(const Document &document, const std::string &document_id, time_point started, time_point finished);
// job{issued_at,available_at,id,status,error}; `error` null: {}.
Json v1_job(const std::string &id, const std::string &status, time_point issued, std::optional<time_point> available,
            const Json &error = nullptr);

// --- v2 ---------------------------------------------------------------------------------
struct ProblemItem {
    std::string pointer, detail;
};
Json v2_problem_body(int status, const std::string &title, const std::string &detail, const std::string &code,
                     const std::vector<ProblemItem> &errors = {});
emulator::Response v2_problem(int status, const std::string &title, const std::string &detail, const std::string &code,
                              const std::vector<ProblemItem> &errors = {});

struct V2Options {
    bool rag = false, raw_text = false, polygon = false, confidence = false, text_context = false;
};
// "Certain" (>= 0.95), "High" (>= 0.80), "Medium" (>= 0.50), "Low".
const char *confidence_word(double confidence);
// {"inference":{id,job{id},model{id},file{...},result{fields,raw_text},active_options{...}}}.
Json v2_inference(const Document &document, const std::string &inference_id, const std::string &job_id,
                  const std::string &model_id, const std::optional<std::string> &alias, const V2Options &options,
                  bool registrations_plural);

// The HTML error page a gateway in front of the API answers with (502, 503, 504).
emulator::Response html_gateway_error(int status);

}  // namespace relais::mindee_emulator
