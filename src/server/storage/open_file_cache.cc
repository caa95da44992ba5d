#include "server/storage/open_file_cache.h"

namespace trainload::storage {

Result<std::shared_ptr<const UniqueFd>> OpenFileCache::Get(std::string_view file_id) {
  return files_.Get(file_id, [this](std::string_view id) -> Result<std::shared_ptr<const UniqueFd>> {
    TL_ASSIGN_OR_RETURN(UniqueFd fd, opener_(id));
    return std::make_shared<const UniqueFd>(std::move(fd));
  });
}

}  // namespace trainload::storage
