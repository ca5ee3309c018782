// The browser half of GraphView: show the SVG that `dot` drew once, and step by restyling it.
// Python sets `svg` (on a layout change only) and `steps` (the node id of each step and its
// phase); `step` is linked to the slider and play button on the browser side, so a step costs
// no round trip to the kernel. A click on a node sets `selected`, which Python answers.

function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "mdl-graph";
  el.appendChild(box);

  function mark() {
    const steps = model.get("steps");
    const current = model.get("step");
    box.querySelectorAll(".mdl-active, .mdl-forward, .mdl-backward").forEach((node) =>
      node.classList.remove("mdl-active", "mdl-forward", "mdl-backward"));
    steps.slice(0, current + 1).forEach(([id, phase]) => {
      const node = box.querySelector(`[id="${id}"]`);
      if (node) node.classList.add(`mdl-${phase}`);
    });
    const active = steps[current] && box.querySelector(`[id="${steps[current][0]}"]`);
    if (active) {
      active.classList.add("mdl-active");
      active.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }

  function draw() {
    box.innerHTML = model.get("svg");
    box.querySelectorAll("g.node").forEach((node) =>
      node.addEventListener("click", () => {
        model.set("selected", node.id);
        model.save_changes();
      }));
    mark();
  }

  model.on("change:svg", draw);
  model.on("change:steps", mark);
  model.on("change:step", mark);
  draw();
}

export default { render };
