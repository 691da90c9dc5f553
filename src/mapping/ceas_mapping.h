/*
 * ceas_mapping — turning outside descriptions of couplings into ceasim systems.
 *
 * Coupling files (`--couplings FILE`), format chosen by content (the HDF5
 * signature), not by extension:
 *
 *  Text edge list, one item per line, '#' starts a comment:
 *      n 100        optional: number of spins (else 1 + the largest index)
 *      i j J        coupling J_ij between spins i != j (0-based), each pair once
 *      h i value    field on spin i, each spin at most once
 *  HDF5: datasets `indptr` (n+1), `indices` (nnz), `data` (nnz) holding the
 *  full symmetric matrix J in CSR form (both (i,j) and (j,i)), and optional `h`
 *  (n). Integer datasets may be any integer type; values are doubles.
 *
 * Every defect is CEAS_EINPUT with a one-line message naming the file and, for
 * text, the line number: unparsable line, negative or out-of-range index,
 * self-coupling, a pair or field given twice, non-finite number, asymmetric CSR.
 */
#ifndef CEAS_MAPPING_H
#define CEAS_MAPPING_H

#include "ceas_lattice.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads a coupling file; `h_extra` is added to every field (the CLI's --h). */
int ceas_mapping_read_couplings(const char *path, double h_extra,
                                ceas_lattice_system **out);

#ifdef __cplusplus
}
#endif

#endif
