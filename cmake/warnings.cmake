# Shared warning set for host and firmware. AIDI_WERROR (on in CI and `make`)
# turns warnings into errors.
option(AIDI_WERROR "Treat warnings as errors" OFF)

function(aidi_warnings target)
  # Designated initializers that leave members at their defaults are idiomatic:
  # do not warn about them.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)
  if(AIDI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
