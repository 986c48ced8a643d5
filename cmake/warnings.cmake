# Shared warning set for host and firmware. AIDI_WERROR (on in CI and `make`)
# turns warnings into errors.
option(AIDI_WERROR "Treat warnings as errors" OFF)

function(aidi_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor)
  if(AIDI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
