# aidi_board_profile(TARGET PROFILE): generates board_profile.hpp from
# boards/PROFILE.toml (tools/gen_board_header.py) and puts it on TARGET's
# include path. The same profile file is what `aidi` loads at run time.
find_program(AIDI_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)
set(AIDI_BOARDS_DIR ${CMAKE_CURRENT_LIST_DIR}/../boards)
set(AIDI_BOARD_HEADER_TOOL ${CMAKE_CURRENT_LIST_DIR}/../tools/gen_board_header.py)

function(aidi_board_profile target profile)
  set(dir ${CMAKE_BINARY_DIR}/generated/board-${profile})
  set(header ${dir}/board_profile.hpp)
  if(NOT TARGET aidi_board_header_${profile})
    add_custom_command(OUTPUT ${header}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
      COMMAND ${AIDI_PYTHON3} ${AIDI_BOARD_HEADER_TOOL} ${AIDI_BOARDS_DIR}/${profile}.toml ${header}
      DEPENDS ${AIDI_BOARDS_DIR}/${profile}.toml ${AIDI_BOARD_HEADER_TOOL}
      COMMENT "Board profile ${profile} -> board_profile.hpp"
      VERBATIM)
    add_custom_target(aidi_board_header_${profile} DEPENDS ${header})
  endif()
  add_dependencies(${target} aidi_board_header_${profile})
  target_include_directories(${target} PRIVATE ${dir})
endfunction()
