#pragma once
// Whether this test binary runs under the sanitizers of `make test-asan` (ASan and
// UBSan, built together). Their runtime needs resources of its own that a few tests
// take away on purpose, and those tests skip there.
namespace fogsched {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderSanitizers = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderSanitizers = true;
#else
inline constexpr bool kUnderSanitizers = false;
#endif
#else
inline constexpr bool kUnderSanitizers = false;
#endif

}  // namespace fogsched
