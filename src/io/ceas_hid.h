/*
 * ceas_hid — hid_t, HDF5's handle type, without the rest of HDF5.
 *
 * For public headers whose functions take an open HDF5 file or group (a hid_t)
 * and need nothing else of HDF5 (ceas_task.h, ceas_kernel.h, ceas_headsrc.h,
 * ceas_anneal.h, ceas_decomp.h): including one of them does not pull in <hdf5.h>. A caller that
 * opens the file includes <hdf5.h> itself. ceas_io.h, whose functions speak HDF5
 * types throughout (hsize_t, H5T classes), includes <hdf5.h>.
 *
 * HDF5 1.10 and later define hid_t as int64_t (H5Ipublic.h). When <hdf5.h> came
 * first this header adds nothing; when it comes after, its typedef repeats this
 * one, which C11 and C++ allow for the same type. The library's own sources
 * include both, so a HDF5 that disagreed would not compile the library.
 */
#ifndef CEAS_HID_H
#define CEAS_HID_H

#include <stdint.h>

#ifndef H5Ipublic_H
typedef int64_t hid_t;
#endif

#endif
