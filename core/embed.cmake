# Writes OUT, a C file holding each JSON file of DIR named in NAMES as a
# NUL-terminated char array ch_embedded_<name> ('-' becomes '_').
file(WRITE ${OUT} "/* Generated from schemas/ by core/embed.cmake; do not edit. */\n")
foreach(name ${NAMES})
  file(READ ${DIR}/${name}.json hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REPLACE "-" "_" cname "${name}")
  file(APPEND ${OUT} "extern const char ch_embedded_${cname}[];\n")
  file(APPEND ${OUT} "const char ch_embedded_${cname}[] = {${bytes}0x00};\n")
endforeach()
