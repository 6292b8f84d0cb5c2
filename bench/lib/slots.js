// Figures in prose, filled from a run's data. A sentence of BENCHMARKS.md or README.md that quotes a
// run's figure holds it in a slot, `<!--fig:NAME-->VALUE<!--/fig-->` (the comments do not render), and the
// bench that measured NAME rewrites VALUE when it writes its results, so no sentence keeps an older run's
// figure beside a newer table.
const SLOT = /<!--fig:([\w.]+)-->(.*?)<!--\/fig-->/g;

/** `text` with every slot named in `values` holding that value; other slots are left as they are. */
function fillSlots(text, values) {
  return text.replace(SLOT, (whole, name) =>
    Object.hasOwn(values, name) ? `<!--fig:${name}-->${values[name]}<!--/fig-->` : whole,
  );
}

/** The slots of `text`, in order. */
function readSlots(text) {
  return [...text.matchAll(SLOT)].map(([, name, value]) => ({ name, value }));
}

module.exports = { fillSlots, readSlots };
