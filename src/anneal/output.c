/* An anneal's results as a whole: the totals over the reads and the HDF5 file of
 * `ceasim anneal --out` (ceas_anneal_options.h). */
#include "ceas_anneal_options.h"
#include "ceas_io.h"

void ceas_anneal_result_totals(const ceas_anneal_result *r, ceas_anneal_cost *cost,
                               double *energy_pj, uint64_t *updates) {
  *cost = (ceas_anneal_cost){0};
  *energy_pj = 0;
  *updates = 0;
  for (uint64_t q = 0; q < r->reads; q++) {
    ceas_anneal_cost_add(cost, &r->per_read[q].cost, 1);
    *energy_pj += r->per_read[q].energy_pj;
    *updates += r->per_read[q].updates;
  }
}

int ceas_anneal_setup_write(const ceas_anneal_setup *s, const ceas_anneal_result *r,
                            const char *path, int force, const char *command_line) {
  ceas_io_file f;
  int rc = ceas_io_file_create(path, force, &f);
  if (rc) return rc;
  const ceas_anneal_quant_report *q = s->pq ? &s->qrep : NULL;
  rc = ceas_anneal_write(f.file, s->pb, s->method, &s->p, r, s->e0, s->deg, command_line);
  if (!rc) rc = ceas_io_attr_int64(f.file, "j_bits", q ? q->bits : 0);
  if (!rc && q) {
    rc = ceas_io_attr_string(f.file, "j_rounding", ceas_anneal_rounding_name(q->rounding));
    if (!rc) rc = ceas_io_attr_double(f.file, "j_step", q->step);
    if (!rc) rc = ceas_io_attr_double(f.file, "j_max_error", q->max_err);
    if (!rc) rc = ceas_io_attr_double(f.file, "j_rms_error", q->rms_err);
    if (!rc) rc = ceas_io_attr_int64(f.file, "j_zeroed", q->zeroed);
  }
  if (rc)
    ceas_io_file_abort(&f);
  else
    rc = ceas_io_file_commit(&f);
  return rc;
}
