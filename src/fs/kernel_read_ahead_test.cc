#include "fs/kernel_read_ahead.h"

#include <gtest/gtest.h>

namespace trainload::fs {
namespace {

constexpr std::string_view kMountinfo =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "27 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n"
    "91 27 0:45 / /tmp/m rw,nosuid,nodev,relatime - fuse.trainload s3://b rw,user_id=0\n"
    "92 27 0:46 / /tmp/with\\040space\\134x rw - fuse.trainload s3://c rw\n"
    "93 91 0:47 / /tmp/m rw - fuse.trainload s3://d rw\n";

TEST(FindMountDeviceTest, FindsTheDeviceOfTheMountPoint) {
  EXPECT_EQ(FindMountDevice(kMountinfo, "/proc"), "0:21");
  EXPECT_EQ(FindMountDevice(kMountinfo, "/"), "254:1");
}

TEST(FindMountDeviceTest, LaterMountOnTheSamePathWins) {
  EXPECT_EQ(FindMountDevice(kMountinfo, "/tmp/m"), "0:47");
}

TEST(FindMountDeviceTest, DecodesOctalEscapes) {
  EXPECT_EQ(FindMountDevice(kMountinfo, "/tmp/with space\\x"), "0:46");
  EXPECT_EQ(FindMountDevice(kMountinfo, "/tmp/with\\040space\\134x"), std::nullopt);
}

TEST(FindMountDeviceTest, UnknownPathAndMalformedLines) {
  EXPECT_EQ(FindMountDevice(kMountinfo, "/tmp"), std::nullopt);
  EXPECT_EQ(FindMountDevice("", "/"), std::nullopt);
  EXPECT_EQ(FindMountDevice("1 2 0:5\n\n", "/"), std::nullopt);
  EXPECT_EQ(FindMountDevice("1 2 0:5 / /x", "/x"), "0:5");  // no trailing newline
}

TEST(SetKernelReadAheadTest, PathNotMountedIsNotFound) {
  Status status = SetKernelReadAhead("/nonexistent/trainload/mount", 1024);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("/nonexistent/trainload/mount"), std::string::npos);
}

}  // namespace
}  // namespace trainload::fs
