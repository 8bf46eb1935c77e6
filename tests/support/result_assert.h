// GoogleTest assertions on a Result<T> (core/result.h), with the error's
// code and detail in the failure message:
//   EXPECT_TRUE(Ok(store.append(m)));
//   EXPECT_TRUE(Fails(resolve(viewer, "~"), Errc::syntax));
#pragma once

#include <gtest/gtest.h>

#include "core/result.h"

namespace parley::testkit {

template <class T>
::testing::AssertionResult Ok(const Result<T>& r) {
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << errc_name(r.code()) << ": " << r.error().detail;
}

template <class T>
::testing::AssertionResult Fails(const Result<T>& r, Errc code) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded, expected " << errc_name(code);
  if (r.code() != code) {
    return ::testing::AssertionFailure() << "got " << errc_name(r.code()) << " (" << r.error().detail << "), expected "
                                         << errc_name(code);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace parley::testkit
