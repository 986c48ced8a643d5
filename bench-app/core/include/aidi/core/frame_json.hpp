// JSON views of protocol frames and decoder counters: what `aidi decode`
// prints, one object per frame. Field names are SPEC.md's, as in
// fixtures/protocol/vectors.json.
#pragma once

#include <nlohmann/json.hpp>

#include "aidi/proto/decoder.hpp"

namespace aidi::core {

// {"type": "checkpoint", "type_id": 3, "boot_id": .., "seq": .., "fields": {..}}.
// An unknown type has "type": null and "payload_hex"; a payload that does not
// decode has "error" naming why, and "payload_hex".
nlohmann::ordered_json frameToJson(const proto::Frame& frame);
nlohmann::ordered_json countersToJson(const proto::DecoderCounters& counters);
// Bytes as lowercase hex ("0a1b..."): payloads, a Hello's build hash.
std::string hexText(const std::uint8_t* data, std::size_t n);

}  // namespace aidi::core
