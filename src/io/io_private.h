/* Internal to src/io (data.c and describe.c); not installed. */
#ifndef CEAS_IO_PRIVATE_H
#define CEAS_IO_PRIVATE_H

#include <hdf5.h>

/* Attribute `a` of file type `ft`, a variable- or fixed-length string, as a
 * malloc'd NUL-terminated copy; NULL if it cannot be read or out of memory. */
char *io_attr_text(hid_t a, hid_t ft);

#endif
